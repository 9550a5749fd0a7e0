// Starts the deployed state machine (Step Functions) for a recorded execution.
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ExecutionStarter } from './start.ts';

export class StepFunctionsStarter implements ExecutionStarter {
  private readonly client = new SFNClient({});
  private readonly stateMachineArn: string;

  constructor(stateMachineArn: string) {
    this.stateMachineArn = stateMachineArn;
  }

  async start(executionId: string): Promise<void> {
    await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: executionId, input: JSON.stringify({ executionId }) }));
  }
}

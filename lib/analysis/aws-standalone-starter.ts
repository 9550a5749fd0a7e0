// Starts the deployed standalone state machine (Step Functions, STANDARD) for a recorded run, and
// stops it when the run is canceled. Its execution is named by the run's id.
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { StandaloneStarter } from './standalone-tasks.ts';

export class StepFunctionsStandaloneStarter implements StandaloneStarter {
  private readonly client = new SFNClient({});
  private readonly stateMachineArn: string;

  constructor(stateMachineArn: string) {
    this.stateMachineArn = stateMachineArn;
  }

  async start(standaloneId: string): Promise<void> {
    await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: standaloneId, input: JSON.stringify({ standaloneId }) }));
  }

  /**
   * Stops the run's execution (a cancel, already recorded): it ends now (Aborted) rather than at
   * its next task. A look's analysis already running (an Express execution) finishes on its own.
   * A failure is only logged: the run starts nothing after its next task anyway.
   */
  async canceled(standaloneId: string): Promise<void> {
    // arn:…:stateMachine:NAME → arn:…:execution:NAME:RUN_ID
    const executionArn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${standaloneId}`;
    try {
      await this.client.send(new StopExecutionCommand({ executionArn, error: 'Canceled', cause: 'The standalone canary analysis was canceled (PUT /standalone_canary_analysis/{id}/cancel).' }));
    } catch (err) {
      console.warn(`standalone analysis ${standaloneId}: its execution was not stopped (${(err as Error).name}: ${(err as Error).message}); it ends at its next task`);
    }
  }
}

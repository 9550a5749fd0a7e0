// Starts the deployed state machine (Step Functions, EXPRESS) for a recorded execution:
// StartExecution, or StartSyncExecution for a caller that waits for the end (POST /v1/judgements).
import { SFNClient, StartExecutionCommand, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import type { ExecutionStarter } from './start.ts';

/** A wait shorter than this is not worth a synchronous start (its call could be cut before it reached Step Functions). */
export const SYNC_START_MIN_MS = 1_000;

/**
 * The SDK sends StartSyncExecution to `sync-states.<region>.amazonaws.com` (the operation's host
 * prefix). With an endpoint set in the environment (LocalStack, tests on 127.0.0.1) it would prefix
 * that host too (`sync-127.0.0.1`, which does not resolve): there, the host is used as given.
 */
const endpointFromEnvironment = () => Boolean(process.env.AWS_ENDPOINT_URL_SFN || process.env.AWS_ENDPOINT_URL);

export class StepFunctionsStarter implements ExecutionStarter {
  private readonly client = new SFNClient({ disableHostPrefix: endpointFromEnvironment() });
  private readonly stateMachineArn: string;

  constructor(stateMachineArn: string) {
    this.stateMachineArn = stateMachineArn;
  }

  async start(executionId: string): Promise<void> {
    await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: executionId, input: JSON.stringify({ executionId }) }));
  }

  /**
   * StartSyncExecution: Step Functions answers when the execution has ended (whatever its status:
   * the record holds the outcome), so the caller reads the verdict without polling. At `timeoutMs`
   * the call is abandoned (aborted) and this resolves; the execution is meant to go on and record
   * its end. AWS's documentation does not say what an abandoned StartSyncExecution does to its
   * execution (docs/executions.md, "A synchronous verdict on AWS"); should it stop it, the record
   * is ended `terminal` when next read, 330 s after its start.
   * Errors Step Functions answers (denied, throttled, no such machine) mean it did not start: thrown.
   */
  async startAndWait(executionId: string, timeoutMs: number): Promise<void> {
    if (timeoutMs < SYNC_START_MIN_MS) return this.start(executionId);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      await this.client.send(new StartSyncExecutionCommand({ stateMachineArn: this.stateMachineArn, name: executionId, input: JSON.stringify({ executionId }) }), { abortSignal: abort.signal });
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

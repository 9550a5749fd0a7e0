// Analyses a restart of canaria serve interrupted. Locally the state machine runs in the
// service's own process, so when the service starts nothing recorded running can still be
// running: each is ended terminal at once, instead of reading `running` until currentRecord
// times it out (MAX_EXECUTION_MILLIS). Not for AWS, where executions outlive any one process.
import { failure, type ExecutionRecord, type ExecutionStore } from './executions.ts';

export const INTERRUPTED_REASON = 'interrupted by a restart of canaria serve';
export const INTERRUPTED_TYPE = 'Interrupted';

/**
 * Ends every execution still recorded running as terminal, with a Kayenta-shaped exception in
 * the stage it stopped in (retrying would help: shouldRetry true). Call it once at startup,
 * before any execution can start. Returns how many it ended; `onEnded` is told of each, with
 * its record as ended.
 */
export async function endInterrupted(
  executions: ExecutionStore,
  now: number,
  onEnded?: (executionId: string, record: ExecutionRecord) => void,
): Promise<number> {
  let ended = 0;
  for (const record of await executions.listRunning()) {
    const change = {
      status: 'terminal' as const,
      endTimeMillis: now,
      exception: failure(record.stage, INTERRUPTED_TYPE, INTERRUPTED_REASON, true, now),
    };
    if (!(await executions.update(record.id, change))) continue; // it ended meanwhile
    ended++;
    try {
      onEnded?.(record.id, { ...record, ...change });
    } catch {
      // a failing report never stops the others from ending
    }
  }
  return ended;
}

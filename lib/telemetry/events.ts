// What an analysis tells its operators as it runs: one closed set of events, emitted by the tasks
// (lib/analysis/tasks.ts) and written by a sink: JSON lines and EMF metrics on Lambda
// (powertools.ts), readable one-line messages locally (console.ts). Events carry ids, names,
// counts and durations; error texts pass through redactSecrets before any sink sees them.
import { redactSecrets } from '../metrics/known-secrets.ts';

/** Who an event is about: on every line of an analysis. */
export interface AnalysisContext {
  executionId: string;
  /** Absent for requests recorded before it was kept with the execution. */
  canaryConfigId?: string;
  judge: string;
}

export type AnalysisEvent =
  | { event: 'analysisStarted'; application: string; metrics: number }
  | { event: 'metricFetched'; source: string; metric: string; side: string; points: number; ms: number }
  | { event: 'metricFetchFailed'; source: string; metric: string; side: string; ms: number; retryable: boolean; error: string }
  /** The durations of an analysis' fetches from one source, told once by Mix (one EMF line, not 40). */
  | { event: 'fetchesTimed'; source: string; ms: number[] }
  | { event: 'judged'; ms: number; score: number; verdict: string; classifications: Record<string, number> }
  | { event: 'analysisFinished'; status: 'succeeded'; verdict: string; score: number }
  | { event: 'analysisFinished'; status: 'terminal'; stage: string; error: string }
  | { event: 'warning'; message: string };

export type Level = 'debug' | 'info' | 'warn';

/** Each fetch is detail (a 20-metric analysis makes 40), and so are their durations (EMF carries them); failures and terminal ends are warnings. */
export function levelOf(e: AnalysisEvent): Level {
  if (e.event === 'metricFetched' || e.event === 'fetchesTimed') return 'debug';
  if (e.event === 'metricFetchFailed' || e.event === 'warning' || (e.event === 'analysisFinished' && e.status === 'terminal')) return 'warn';
  return 'info';
}

export interface Telemetry {
  emit(context: AnalysisContext, event: AnalysisEvent): void;
}

/** The event with every text field passed through redactSecrets. */
export function redacted(e: AnalysisEvent): AnalysisEvent {
  if (e.event === 'metricFetchFailed' || (e.event === 'analysisFinished' && e.status === 'terminal')) return { ...e, error: redactSecrets(e.error) };
  if (e.event === 'warning') return { ...e, message: redactSecrets(e.message) };
  return e;
}

/**
 * A sink's emit made safe: redacted first, and never throwing (a failing log never fails an
 * analysis).
 */
export function safeSink(write: (context: AnalysisContext, event: AnalysisEvent) => void): Telemetry {
  return {
    emit(context, event) {
      try {
        write(context, redacted(event));
      } catch {
        // telemetry is best effort
      }
    },
  };
}

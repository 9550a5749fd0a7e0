// Telemetry locally: each event as one readable line (canaria serve prints them on stderr). The
// same text is the `message` of the Lambda's JSON line (powertools.ts).
import { safeSink, levelOf, type AnalysisContext, type AnalysisEvent, type Telemetry } from './events.ts';

const counts = (byClass: Record<string, number>) =>
  Object.entries(byClass)
    .map(([name, n]) => `${n} ${name}`)
    .join(', ');

/** `median 12 ms, slowest 31 ms` */
function fetchTimes(ms: readonly number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  return `median ${Math.round(sorted[Math.floor((sorted.length - 1) / 2)])} ms, slowest ${Math.round(sorted[sorted.length - 1])} ms`;
}

/** `analysis 01J… succeeded: Pass, score 100`, `analysis 01J… fetched 'latency' (experiment) from prometheus: 121 points in 12 ms`. */
export function eventLine(c: AnalysisContext, e: AnalysisEvent): string {
  const analysis = `analysis ${c.executionId}`;
  switch (e.event) {
    case 'analysisStarted':
      return `${analysis} started: config ${c.canaryConfigId ?? '(unknown)'} of ${e.application}, ${e.metrics} metric${e.metrics === 1 ? '' : 's'}, judge ${c.judge}`;
    case 'metricFetched':
      return `${analysis} fetched '${e.metric}' (${e.side}) from ${e.source}: ${e.points} points in ${Math.round(e.ms)} ms`;
    case 'fetchesTimed':
      return `${analysis} fetched ${e.ms.length} series from ${e.source}: ${fetchTimes(e.ms)}`;
    case 'metricFetchFailed':
      return `${analysis} fetching '${e.metric}' (${e.side}) from ${e.source} failed after ${Math.round(e.ms)} ms${e.retryable ? ' (will retry)' : ''}: ${e.error}`;
    case 'judged':
      return `${analysis} judged by ${c.judge} in ${Math.round(e.ms)} ms: ${e.verdict}, score ${e.score} (${counts(e.classifications) || 'no metrics'})`;
    case 'analysisFinished':
      return e.status === 'succeeded' ? `${analysis} succeeded: ${e.verdict}, score ${e.score}` : `${analysis} terminal in ${e.stage}: ${e.error}`;
    case 'warning':
      return `${analysis}: ${e.message}`;
  }
}

/** Lines to `write`; every fetch too when `verbose` (canaria serve --verbose). */
export function consoleTelemetry(write: (line: string) => void, options: { verbose?: boolean } = {}): Telemetry {
  return safeSink((context, event) => {
    if (options.verbose || levelOf(event) !== 'debug') write(eventLine(context, event));
  });
}

// Telemetry on Lambda: each event is one JSON log line (Powertools Logger; level from
// POWERTOOLS_LOG_LEVEL, INFO by default) carrying the execution id, config id and judge, and its
// metrics in Embedded Metric Format (Powertools Metrics, namespace `canaria`), written at once.
// The `service` of both is POWERTOOLS_SERVICE_NAME (serverless.yml: canaria-STAGE).
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { eventLine } from './console.ts';
import { emfData, METRICS_NAMESPACE } from './emf.ts';
import { levelOf, safeSink, type Telemetry } from './events.ts';

/** Values of one metric per EMF line: Powertools publishes by itself at the 100th and clears the dimensions, so the explicit publish after it would find nothing. */
const VALUES_PER_LINE = 99;

export function powertoolsTelemetry(): Telemetry {
  const logger = new Logger();
  return safeSink((context, event) => {
    const { event: name, ...fields } = event;
    logger[levelOf(event)](eventLine(context, event), { ...context, event: name, ...fields });
    for (const datum of emfData(context, event)) {
      const values = typeof datum.value === 'number' ? [datum.value] : datum.value;
      for (let i = 0; i < values.length; i += VALUES_PER_LINE) {
        const line = new Metrics({ namespace: METRICS_NAMESPACE });
        line.addDimensions(datum.dimensions);
        for (const value of values.slice(i, i + VALUES_PER_LINE)) line.addMetric(datum.name, MetricUnit[datum.unit], value);
        line.publishStoredMetrics();
      }
    }
  });
}

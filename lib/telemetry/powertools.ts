// Telemetry on Lambda: each event is one JSON log line (Powertools Logger; level from
// POWERTOOLS_LOG_LEVEL, INFO by default) carrying the execution id, config id and judge, and its
// metrics in Embedded Metric Format (Powertools Metrics, namespace `canaria`), written at once.
// The `service` of both is POWERTOOLS_SERVICE_NAME (serverless.yml: canaria-STAGE).
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { eventLine } from './console.ts';
import { emfData, METRICS_NAMESPACE } from './emf.ts';
import { levelOf, safeSink, type Telemetry } from './events.ts';

export function powertoolsTelemetry(): Telemetry {
  const logger = new Logger();
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE });
  return safeSink((context, event) => {
    const { event: name, ...fields } = event;
    logger[levelOf(event)](eventLine(context, event), { ...context, event: name, ...fields });
    for (const datum of emfData(context, event)) {
      const single = metrics.singleMetric();
      single.addDimensions(datum.dimensions);
      single.addMetric(datum.name, MetricUnit[datum.unit], datum.value);
    }
  });
}

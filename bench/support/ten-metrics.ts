// The ten metrics over the test dataset (test/support/prometheus-data.ts) that bench:e2e analyses
// and bench:fetch-cost fetches twice over: their scopes, config and thresholds.
import { END, INTEGRATION_TEST_CPU, LATENCY, NODE_CPU, START, STEP } from '../../test/support/prometheus-data.ts';

export const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
export const window = { start: iso(START), end: iso(END), step: STEP };
export const scopes = {
  default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } },
  cpu: { controlScope: { ...window, scope: INTEGRATION_TEST_CPU.controlScope }, experimentScope: { ...window, scope: INTEGRATION_TEST_CPU.experimentScope } },
  node: {
    controlScope: { ...window, scope: NODE_CPU.controlScope, location: NODE_CPU.location },
    experimentScope: { ...window, scope: NODE_CPU.experimentScope, location: NODE_CPU.location },
  },
};
export const thresholds = { pass: 75, marginal: 50 };

const promql = (name: string, group: string, template: string, scopeName = 'default', direction = 'increase') => ({
  name,
  query: { type: 'prometheus', customInlineTemplate: `PromQL:${template}` },
  groups: [group],
  analysisConfigurations: { canary: { direction } },
  scopeName,
});

/** Ten metrics over the test dataset: gauges, a gappy gauge, rate() of counters, a ratio, Kayenta's aws_ec2_instance query. */
export const METRICS = [
  promql('latency identical', 'latency', `avg(${LATENCY.identical}{\${scope}})`),
  promql('latency worse', 'latency', `avg(${LATENCY.worse}{\${scope}})`),
  promql('latency marginal', 'latency', `avg(${LATENCY.marginal}{\${scope}})`),
  promql('mean request latency', 'latency', 'sum(rate(http_request_duration_seconds_sum{job="my-app",${scope}}[5m])) / sum(rate(http_request_duration_seconds_count{job="my-app",${scope}}[5m]))'),
  promql('5xx rate', 'errors', 'sum(rate(http_requests_total{job="my-app",code=~"[45]..",${scope}}[5m]))'),
  promql('2xx rate', 'errors', 'sum(rate(http_requests_total{job="my-app",code="200",${scope}}[5m]))', 'default', 'decrease'),
  promql('request count rate', 'errors', 'sum(rate(http_request_duration_seconds_count{job="my-app",${scope}}[5m]))', 'default', 'either'),
  promql('queue depth', 'saturation', 'avg(queue_depth{${scope}})'),
  promql('integration test cpu', 'saturation', `avg(integration_test_cpu{namespace="${INTEGRATION_TEST_CPU.namespace}",scope="\${scope}"})`, 'cpu'),
  {
    name: 'node cpu',
    query: { type: 'prometheus', metricName: 'node_cpu', labelBindings: ['mode=~"user|system"', 'job="node"'], resourceType: 'aws_ec2_instance' },
    groups: ['saturation'],
    analysisConfigurations: { canary: { direction: 'increase' } },
    scopeName: 'node',
  },
];
export const CONFIG = {
  name: 'bench-e2e',
  applications: ['bench'],
  judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} },
  metrics: METRICS,
  classifier: { groupWeights: { latency: 40, errors: 30, saturation: 30 } },
};

// PromQL as Kayenta builds it (metric-sources-spec.md §1.6 examples), and the injection guard.
import { describe, expect, it } from 'vitest';
import { canaryConfigSchema } from '../../lib/config/canary-config.ts';
import { buildPrometheusQuery, composePrometheusQuery, ScopeInjectionError, type PrometheusQuery } from '../../lib/metrics/prometheus-query.ts';
import type { CanaryScope } from '../../lib/metrics/types.ts';
import { fixture } from '../support/service.ts';

const window = { start: '2026-01-01T00:00:00Z', end: '2026-01-01T02:00:00Z', step: 60 };
const scope = (s: Partial<CanaryScope>): CanaryScope => ({ ...window, ...s });
const spock = { someTemplate: 'some-label=${scope}', anotherTemplate: 'my-server-group=${scope}' };
const q = (o: Partial<PrometheusQuery>): PrometheusQuery => ({ type: 'prometheus', metricName: 'some-metric-name', ...o });
const fromFixture = (name: string) => {
  const config = canaryConfigSchema.parse(fixture(name));
  const query = config.metrics[0].query;
  if (query?.type !== 'prometheus') throw new Error('expected a prometheus query');
  return { query, templates: config.templates };
};

describe('buildPrometheusQuery (Kayenta fidelity)', () => {
  it('P1: the seed config renders both sides', () => {
    const { query, templates } = fromFixture('seed-canary-config.json');
    expect(buildPrometheusQuery(query, templates, scope({ scope: 'version="baseline"' }))).toBe(
      'sum(rate(http_requests_total{job="my-app", code=~"[45]..",version="baseline"}[5m]))',
    );
    expect(buildPrometheusQuery(query, templates, scope({ scope: 'version="canary"' }))).toBe(
      'sum(rate(http_requests_total{job="my-app", code=~"[45]..",version="canary"}[5m]))',
    );
  });

  it.each([
    ['P2 GCE', q({ labelBindings: ['a=b'], resourceType: 'gce_instance' }), undefined, 'avg(some-metric-name{a=b,instance=~"some-server-group-.{4}",zone=~".+/zones/us-central1-.{1}"})'],
    ['P2 GCE, empty inline template', q({ labelBindings: ['a=b'], resourceType: 'gce_instance', customInlineTemplate: '' }), undefined, 'avg(some-metric-name{a=b,instance=~"some-server-group-.{4}",zone=~".+/zones/us-central1-.{1}"})'],
    ['P3 EC2', q({ labelBindings: ['a=b'], resourceType: 'aws_ec2_instance' }), undefined, 'avg(some-metric-name{a=b,asg_groupName="some-server-group",zone=~"us-central1.{1}"})'],
    ['P4 named template', q({ labelBindings: ['a=b'], resourceType: 'gce_instance', customFilterTemplate: 'someTemplate' }), spock, 'avg(some-metric-name{some-label=some-server-group,a=b})'],
    ['P5 inline beats named', q({ labelBindings: ['a=b'], resourceType: 'anything_else', customFilterTemplate: 'someTemplate', customInlineTemplate: 'customFilter=something,andSomething=else' }), spock, 'avg(some-metric-name{customFilter=something,andSomething=else,a=b})'],
  ])('%s', (_name, query, templates, want) => {
    // Kayenta's own test strings (some-metric-name, a=b) are not valid PromQL, so only the
    // composition is compared here; buildPrometheusQuery would refuse to send them.
    const s = scope({ scope: 'some-server-group', location: 'us-central1' });
    expect(composePrometheusQuery(query, templates, s)).toBe(want);
    expect(() => buildPrometheusQuery(query, templates, s)).toThrow('The rendered query is not valid PromQL');
  });

  it('P6/P7: full PromQL with scope and extended scope params', () => {
    const inline = 'PromQL:histogram_quantile(${quantile}, prometheus_http_response_size_bytes_bucket{instance="localhost:9090",handler="${scope}"})';
    expect(buildPrometheusQuery(q({ customInlineTemplate: inline }), undefined, scope({ scope: '/graph', extendedScopeParams: { quantile: '0.99' } }))).toBe(
      'histogram_quantile(0.99, prometheus_http_response_size_bytes_bucket{instance="localhost:9090",handler="/graph"})',
    );
  });

  it("P8: Kayenta's integration config", () => {
    const { query, templates } = fromFixture('kayenta-integration-test-cpu.json');
    expect(buildPrometheusQuery(query, templates, scope({ scope: 'myapp-prod-control-1', extendedScopeParams: { namespace: 'prod-namespace-1' } }))).toBe(
      "avg(integration_test_cpu{namespace='prod-namespace-1', scope='myapp-prod-control-1'})",
    );
  });

  it("P9: Kayenta's scratch config with an EC2 resource type from the scope", () => {
    const { query, templates } = fromFixture('kayenta-prometheus_canary_config.json');
    expect(buildPrometheusQuery(query, templates, scope({ scope: 'myapp-v001', location: 'us-west-2', extendedScopeParams: { resourceType: 'aws_ec2_instance' } }))).toBe(
      'avg(node_cpu{mode=~"user|system",job="node",asg_groupName="myapp-v001",zone=~"us-west-2.{1}"})',
    );
    expect(() => buildPrometheusQuery(query, templates, scope({ scope: 'myapp-v001' }))).toThrow('Either a resource type or a custom filter is required.');
  });

  it('P10: GCE with a project and group-by', () => {
    const query = q({ metricName: 'node_cpu', labelBindings: ['mode=~"user|system"'], groupByFields: ['mode'], resourceType: 'gce_instance' });
    expect(buildPrometheusQuery(query, undefined, scope({ scope: 'myapp-v001', location: 'us-central1', extendedScopeParams: { project: 'my-project' } }))).toBe(
      'avg(node_cpu{mode=~"user|system",instance=~"myapp-v001-.{4}",zone=~".+/projects/my-project/zones/us-central1-.{1}"}) by (mode)',
    );
  });

  it('P11: inline filter with a default value and group-by', () => {
    const query = q({
      metricName: 'http_server_requests_seconds_count',
      customInlineTemplate: 'app="${scope}",region="${location}",status=~"${statuses:-5..}"',
      groupByFields: ['uri', 'method'],
    });
    expect(buildPrometheusQuery(query, undefined, scope({ scope: 'checkout-canary', location: 'eu-west-1' }))).toBe(
      'avg(http_server_requests_seconds_count{app="checkout-canary",region="eu-west-1",status=~"5.."}) by (uri,method)',
    );
  });

  it.each([
    ['no resource type, no template', q({}), {}, 'Either a resource type or a custom filter is required.'],
    ['unknown variable', q({ customInlineTemplate: 'PromQL:up{${nope}}' }), {}, 'Problem evaluating custom filter template: PromQL:up{${nope}}'],
    ['unsupported resource type', q({ resourceType: 'k8s_pod' }), {}, "There is no explicit support for resourceType 'k8s_pod'."],
    ['GCE without location', q({ resourceType: 'gce_instance' }), { location: '' }, "Location (i.e. region) is required when resourceType is 'gce_instance'."],
    ['missing named template', q({ customFilterTemplate: 'nope' }), {}, "Custom filter template 'nope' was referenced, but no templates were defined."],
    ['unparsable PromQL', q({ customInlineTemplate: 'PromQL:sum(rate(x[5m]' }), {}, 'The rendered query is not valid PromQL: sum(rate(x[5m]'],
  ])('P12 %s → 400', (_name, query, s, message) => {
    expect(() => buildPrometheusQuery(query, undefined, scope({ scope: 'sg', ...s }))).toThrow(message);
  });
});

describe('scope injection guard', () => {
  const { query: seed, templates } = fromFixture('seed-canary-config.json');

  it.each([
    'version="canary"',
    'version=~"canary|canary-2"',
    'version="canary",pod!="x"',
    'version="can}ary"', // a brace inside a string is harmless
  ])('lets a scope add label matchers: %s', (value) => {
    expect(() => buildPrometheusQuery(seed, templates, scope({ scope: value }))).not.toThrow();
  });

  it.each([
    ['closes the selector', 'version="canary"}[5m])) or vector(1) #'],
    ['adds an operator', 'version="canary"}[5m])) * 1000 + sum(rate(x{a="b"'],
    ['adds a subquery', 'version="canary"}[5m:1m])) or sum(rate(y{a="b"'],
    ['adds a function', 'version="canary"}[5m]) or absent(up{a="b"'],
    ['adds an offset', 'version="canary"} offset 1h) or rate(x{a="b"'],
    ['selects another metric by name', '__name__="other_metric"'],
    ['leaves the query unparsable', 'version="canary'],
  ])('rejects a scope that %s, naming the field', (_what, value) => {
    const attempt = () => buildPrometheusQuery(seed, templates, scope({ scope: value }));
    expect(attempt).toThrow(value === 'version="canary' ? 'not valid PromQL' : 'scope: the value may only add label matchers');
  });

  it('names an extended scope param that injects', () => {
    const query = q({ customInlineTemplate: 'PromQL:sum(rate(x{job="${job}",${scope}}[5m]))' });
    try {
      buildPrometheusQuery(query, undefined, scope({ scope: 'a="b"', extendedScopeParams: { job: 'x"}[5m])) or vector(1) or sum(rate(x{job="y' } }));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ScopeInjectionError);
      expect((err as ScopeInjectionError).field).toBe('extendedScopeParams.job');
    }
  });

  it('guards the composed (non-PromQL) path too', () => {
    const query = q({ resourceType: 'aws_ec2_instance' });
    expect(() => buildPrometheusQuery(query, undefined, scope({ scope: 'sg"} or up{a="', location: 'us-west-2' }))).toThrow(ScopeInjectionError);
  });
});

describe('rendered queries are kept by what they depend on', () => {
  it('renders again when the template, the scope or an extended scope param changes, not for a new time window', () => {
    const query = q({ customFilterTemplate: 't' });
    const templates = { t: 'app="${scope}"' };
    const first = buildPrometheusQuery(query, templates, scope({ scope: 'one' }));
    expect(first).toContain('app="one"');
    expect(buildPrometheusQuery(query, templates, { start: '2030-05-05T00:00:00Z', end: '2030-05-05T01:00:00Z', step: 10, scope: 'one' })).toBe(first);
    expect(buildPrometheusQuery(query, { t: 'service="${scope}"' }, scope({ scope: 'one' }))).toContain('service="one"');
    expect(buildPrometheusQuery(query, templates, scope({ scope: 'two' }))).toContain('app="two"');
    const inline = q({ customInlineTemplate: 'PromQL:sum(rate(x{job="${job}"}[5m]))' });
    expect(buildPrometheusQuery(inline, undefined, scope({ extendedScopeParams: { job: 'one' } }))).toContain('job="one"');
    expect(buildPrometheusQuery(inline, undefined, scope({ extendedScopeParams: { job: 'two' } }))).toContain('job="two"');
  });

  it('refuses an injecting scope each time it is asked, after the same query rendered with a harmless one', () => {
    const { query: seed, templates } = fromFixture('seed-canary-config.json');
    buildPrometheusQuery(seed, templates, scope({ scope: 'version="canary"' }));
    for (let i = 0; i < 2; i++) expect(() => buildPrometheusQuery(seed, templates, scope({ scope: 'version="canary"}[5m])) or vector(1) #' }))).toThrow(ScopeInjectionError);
  });
});

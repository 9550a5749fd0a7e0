// Every malformed request gets its exact 4xx and a message naming the problem — never a 5xx,
// a stack trace or a half-written record.
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, useLocalService, type CallOptions } from '../support/service.ts';

const svc = useLocalService();

const seed = () => fixture('seed-canary-config.json');
/** The seed config with one change. */
const seedWith = (change: (c: any) => void) => {
  const c = seed();
  change(c);
  return c;
};
const canary = (c: any, i = 0) => c.metrics[i].analysisConfigurations.canary;
const cloudwatch = (change: (q: any) => void = () => {}) =>
  seedWith((c) => {
    c.metrics[0].query = {
      type: 'cloudwatch',
      metricDataQueries: [
        { id: 'errors', metricStat: { metric: { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count' }, stat: 'Sum' } },
      ],
    };
    change(c.metrics[0].query);
  });

type Case = [what: string, method: string, path: string, options: CallOptions, status: number, message: string | RegExp];
const post = (what: string, body: unknown, message: string | RegExp, status = 400): Case => [what, 'POST', '/canaryConfig', { body }, status, message];

const EXISTING_ID = 'malformed-existing';

const cases: Case[] = [
  // transport
  ['no content type', 'POST', '/canaryConfig', { rawBody: JSON.stringify(seed()) }, 415, 'Content-Type must be application/json.'],
  ['text/plain', 'POST', '/canaryConfig', { rawBody: JSON.stringify(seed()), headers: { 'content-type': 'text/plain' } }, 415, 'Content-Type must be application/json, not text/plain.'],
  ['form data', 'POST', '/canaryConfig', { rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'Content-Type must be application/json, not application/x-www-form-urlencoded.'],
  ['body over 1 MiB', 'POST', '/canaryConfig', { rawBody: JSON.stringify({ ...seed(), description: 'x'.repeat(1024 * 1024) }), headers: { 'content-type': 'application/json' } }, 413, 'Request body is larger than 1048576 bytes.'],
  ['malformed JSON', 'POST', '/canaryConfig', { rawBody: '{"name": "x",', headers: { 'content-type': 'application/json' } }, 400, /^Malformed JSON in request body: /],
  ['empty body', 'POST', '/canaryConfig', { rawBody: '', headers: { 'content-type': 'application/json' } }, 400, 'Request body is required.'],
  post('a JSON array', [seed()], 'must be an object'),
  post('a JSON string', 'config', 'must be an object'),
  post('JSON null', null, 'must be an object'),
  // config fields
  post('metrics missing', seedWith((c) => delete c.metrics), 'metrics: is required'),
  post('metrics not a list', seedWith((c) => (c.metrics = { request_error: {} })), 'metrics: must be an array'),
  post('name missing', seedWith((c) => delete c.name), 'name: Canary config must specify a name.'),
  post('name empty', seedWith((c) => (c.name = '')), 'name: Canary config must specify a name.'),
  post('name with a space', seedWith((c) => (c.name = 'canary 14')), "name: Canary config cannot be named 'canary 14'. Names must contain only letters, numbers, dashes (-) and underscores (_)."),
  post('name with a slash', seedWith((c) => (c.name = 'a/b')), "name: Canary config cannot be named 'a/b'. Names must contain only letters, numbers, dashes (-) and underscores (_)."),
  post('name not a string', seedWith((c) => (c.name = 14)), 'name: must be a string'),
  post('applications missing', seedWith((c) => delete c.applications), 'applications: Canary config must specify at least one application.'),
  post('applications empty', seedWith((c) => (c.applications = [])), 'applications: Canary config must specify at least one application.'),
  post('applications not a list', seedWith((c) => (c.applications = 'my-app')), 'applications: must be an array'),
  post('application empty', seedWith((c) => (c.applications = [''])), 'applications[0]: must not be empty'),
  post('application not a string', seedWith((c) => (c.applications = [7])), 'applications[0]: must be a string'),
  post('id not URL-safe', seedWith((c) => (c.id = 'a/b c')), 'id: must be 1 to 128 URL-safe characters: letters, digits, ".", "_", "~" or "-" (not only dots)'),
  post('description not a string', seedWith((c) => (c.description = 5)), 'description: must be a string'),
  post('configVersion an object', seedWith((c) => (c.configVersion = {})), 'configVersion: must be a string'),
  post('judge not an object', seedWith((c) => (c.judge = 'NetflixACAJudge-v1.0')), 'judge: must be an object'),
  post('templates value not a string', seedWith((c) => (c.templates = { t: 1 })), 'templates.t: must be a string'),
  // metrics
  post('duplicate metric names', seedWith((c) => c.metrics.push(structuredClone(c.metrics[0]))), 'metrics[1].name: duplicate metric name "request_error" (also metrics[0].name)'),
  post('metric name empty', seedWith((c) => (c.metrics[0].name = '')), 'metrics[0].name: must not be empty'),
  post('metric name missing', seedWith((c) => delete c.metrics[0].name), 'metrics[0].name: is required'),
  post('query missing', seedWith((c) => delete c.metrics[0].query), 'metrics[0].query: is required'),
  post('query type missing', seedWith((c) => delete c.metrics[0].query.type), 'metrics[0].query.type: is required'),
  post('query type unknown', seedWith((c) => (c.metrics[0].query.type = 'atlas')), 'metrics[0].query.type: unknown query type "atlas" (supported: "prometheus", "cloudwatch")'),
  post('query type a number', seedWith((c) => (c.metrics[0].query.type = 3)), 'metrics[0].query.type: unknown query type 3 (supported: "prometheus", "cloudwatch")'),
  post('no metricName and no PromQL', seedWith((c) => (c.metrics[0].query = { type: 'prometheus', labelBindings: ['job="x"'] })), 'metrics[0].query.metricName: is required unless customInlineTemplate is a full "PromQL:" query'),
  post('template that does not exist', seedWith((c) => (c.metrics[0].query = { type: 'prometheus', metricName: 'up', customFilterTemplate: 'missing' })), 'metrics[0].query.customFilterTemplate: names no entry of templates: "missing"'),
  post('deprecated customFilter', seedWith((c) => (c.metrics[0].query.customFilter = 'job="x"')), 'metrics[0].query.customFilter: is deprecated, use customInlineTemplate instead'),
  post('labelBindings not a list', seedWith((c) => (c.metrics[0].query = { type: 'prometheus', metricName: 'up', labelBindings: 'job="x"' })), 'metrics[0].query.labelBindings: must be an array'),
  post('scopeName empty', seedWith((c) => (c.metrics[0].scopeName = '')), 'metrics[0].scopeName: must not be empty (use "default" for the default scope)'),
  post('scopeName a number', seedWith((c) => (c.metrics[0].scopeName = 1)), 'metrics[0].scopeName: must be a string'),
  post('groups not a list', seedWith((c) => (c.metrics[0].groups = 'error')), 'metrics[0].groups: must be an array'),
  post('group not a string', seedWith((c) => (c.metrics[0].groups = [1])), 'metrics[0].groups[0]: must be a string'),
  // analysis configuration
  post('unknown direction', seedWith((c) => (canary(c).direction = 'up')), 'metrics[0].analysisConfigurations.canary.direction: must be one of "increase", "decrease", "either"'),
  post('direction in capitals', seedWith((c) => (canary(c).direction = 'Increase')), 'metrics[0].analysisConfigurations.canary.direction: must be one of "increase", "decrease", "either"'),
  post('unknown nanStrategy', seedWith((c) => (canary(c).nanStrategy = 'zero')), 'metrics[0].analysisConfigurations.canary.nanStrategy: must be one of "remove", "replace"'),
  post('critical as a string', seedWith((c) => (canary(c).critical = 'true')), 'metrics[0].analysisConfigurations.canary.critical: must be true or false'),
  post('mustHaveData as a number', seedWith((c) => (canary(c).mustHaveData = 1)), 'metrics[0].analysisConfigurations.canary.mustHaveData: must be true or false'),
  post('unknown outlier strategy', seedWith((c) => (canary(c).outliers.strategy = 'trim')), 'metrics[0].analysisConfigurations.canary.outliers.strategy: must be one of "remove", "keep"'),
  post('outlier factor 0', seedWith((c) => (canary(c).outliers.outlierFactor = 0)), 'metrics[0].analysisConfigurations.canary.outliers.outlierFactor: must be greater than 0'),
  post('negative outlier factor', seedWith((c) => (canary(c).outliers.outlierFactor = -1)), 'metrics[0].analysisConfigurations.canary.outliers.outlierFactor: must be greater than 0'),
  post('unknown effect size measure', seedWith((c) => (canary(c).effectSize.measure = 'cohenD')), 'metrics[0].analysisConfigurations.canary.effectSize.measure: must be one of "meanRatio", "cles"'),
  post('allowedIncrease as a string', seedWith((c) => (canary(c).effectSize.allowedIncrease = '1.2')), 'metrics[0].analysisConfigurations.canary.effectSize.allowedIncrease: must be a number'),
  // classifier
  post('group weight not a number', seedWith((c) => (c.classifier.groupWeights.error = 'heavy')), 'classifier.groupWeights.error: must be a number'),
  post('group weights over 100', seedWith((c) => (c.classifier.groupWeights = { error: 70, latency: 50 })), 'classifier.groupWeights: weights sum to 120; they must not exceed 100'),
  post('negative group weight', seedWith((c) => (c.classifier.groupWeights = { error: -10 })), 'classifier.groupWeights.error: must not be negative'),
  post('groupWeights not an object', seedWith((c) => (c.classifier.groupWeights = [100])), 'classifier.groupWeights: must be an object'),
  // CloudWatch queries
  post('CloudWatch without queries', cloudwatch((q) => delete q.metricDataQueries), 'metrics[0].query.metricDataQueries: is required'),
  post('CloudWatch with no query', cloudwatch((q) => (q.metricDataQueries = [])), 'metrics[0].query.metricDataQueries: must have at least 1 item'),
  post('CloudWatch id starting upper-case', cloudwatch((q) => (q.metricDataQueries[0].id = 'Errors')), 'metrics[0].query.metricDataQueries[0].id: must start with a lowercase letter and contain only letters, digits and underscores (at most 255)'),
  post('CloudWatch expression and metricStat', cloudwatch((q) => (q.metricDataQueries[0].expression = 'm1 * 2')), 'metrics[0].query.metricDataQueries[0]: needs exactly one of expression or metricStat'),
  post('CloudWatch neither expression nor metricStat', cloudwatch((q) => delete q.metricDataQueries[0].metricStat), 'metrics[0].query.metricDataQueries[0]: needs exactly one of expression or metricStat'),
  post('CloudWatch duplicate ids', cloudwatch((q) => q.metricDataQueries.push({ id: 'errors', expression: 'errors * 2' })), 'metrics[0].query.metricDataQueries[1].id: duplicate id "errors" (also metricDataQueries[0].id)'),
  post('CloudWatch customInlineTemplate', cloudwatch((q) => (q.customInlineTemplate = 'x')), 'metrics[0].query.customInlineTemplate: is not supported for CloudWatch: template the metricDataQueries fields instead'),
  post('CloudWatch stat missing', cloudwatch((q) => delete q.metricDataQueries[0].metricStat.stat), 'metrics[0].query.metricDataQueries[0].metricStat.stat: is required'),
  post('CloudWatch period not an integer', cloudwatch((q) => (q.metricDataQueries[0].period = 1.5)), 'metrics[0].query.metricDataQueries[0].period: must be an integer or a string'),
  // conflicts
  post('an id that exists', { ...seed(), id: EXISTING_ID, name: 'another-name' }, `Canary config '${EXISTING_ID}' already exists.`),
  post('a name taken in the application', { ...seed(), name: 'malformed-taken', applications: ['malformed-app'] }, /^A canary config named 'malformed-taken' already exists in application 'malformed-app' \(id 'malformed-existing'\)\.$/),
  // PUT, GET, DELETE and routing
  ['PUT to an unknown id', 'PUT', '/canaryConfig/nope', { body: seed() }, 400, "Canary config 'nope' does not exist."],
  ['PUT with another id in the body', 'PUT', `/canaryConfig/${EXISTING_ID}`, { body: { ...seed(), id: 'other' } }, 400, `id: 'other' does not match the id in the path, '${EXISTING_ID}'.`],
  ['PUT without content type', 'PUT', `/canaryConfig/${EXISTING_ID}`, { rawBody: JSON.stringify(seed()) }, 415, 'Content-Type must be application/json.'],
  ['PUT of an invalid config', 'PUT', `/canaryConfig/${EXISTING_ID}`, { body: seedWith((c) => (canary(c).direction = 'sideways')) }, 400, 'metrics[0].analysisConfigurations.canary.direction: must be one of "increase", "decrease", "either"'],
  ['GET an unknown id', 'GET', '/canaryConfig/does-not-exist', {}, 404, "Canary config 'does-not-exist' was not found."],
  ['GET an id with bad escapes', 'GET', '/canaryConfig/%E0%A4%A', {}, 404, 'No route for GET /canaryConfig/%E0%A4%A.'],
  ['DELETE an unknown id', 'DELETE', '/canaryConfig/does-not-exist', {}, 404, "Canary config 'does-not-exist' was not found."],
  ['an unknown path', 'GET', '/canaryConfigs', {}, 404, 'No route for GET /canaryConfigs.'],
  ['a method the path does not take', 'PATCH', '/canaryConfig', { body: seed() }, 405, 'Method PATCH is not allowed on /canaryConfig; use GET, POST.'],
  ['DELETE on the collection', 'DELETE', '/canaryConfig', {}, 405, 'Method DELETE is not allowed on /canaryConfig; use GET, POST.'],
];

describe('malformed requests', () => {
  beforeAll(async () => {
    const r = await svc.call('POST', '/canaryConfig', { body: { ...seed(), id: EXISTING_ID, name: 'malformed-taken', applications: ['malformed-app'] } });
    expect(r.status).toBe(200);
  });

  it('has at least 50 cases', () => expect(cases.length).toBeGreaterThanOrEqual(50));

  for (const [what, method, path, options, status, message] of cases) {
    it(`${method} ${path}: ${what} → ${status}`, async () => {
      const before = (await svc.call('GET', '/canaryConfig')).json.length;
      const r = await svc.call(method, path, options);
      expect(r.status, r.text).toBe(status);
      expect(r.headers.get('content-type')).toBe('application/json');
      if (typeof message === 'string') expect(r.json.message).toBe(message);
      else expect(r.json.message).toMatch(message);
      expect(r.text).not.toMatch(/\n\s+at /);
      // Nothing half-written: the list is unchanged and the existing config intact.
      expect((await svc.call('GET', '/canaryConfig')).json.length).toBe(before);
      expect((await svc.call('GET', `/canaryConfig/${EXISTING_ID}`)).json.name).toBe('malformed-taken');
    });
  }

  it('lists every problem of a request in errors, the first in message', async () => {
    const r = await svc.call('POST', '/canaryConfig', { body: seedWith((c) => ((canary(c).direction = 'up'), (canary(c).critical = 'no'))) });
    expect(r.status).toBe(400);
    expect(r.json.errors).toEqual([
      'metrics[0].analysisConfigurations.canary.direction: must be one of "increase", "decrease", "either"',
      'metrics[0].analysisConfigurations.canary.critical: must be true or false',
    ]);
    expect(r.json.message).toBe(r.json.errors[0]);
  });
});

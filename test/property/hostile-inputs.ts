// Generators of hostile requests for every route of the route table (lib/api/routes.ts): each
// yields a request that a correct service must refuse with a 4xx and a JSON {message}
// (`expect: 'refused'`), or, for the few inputs that are odd but valid for a read-only route,
// answer without a 5xx (`expect: 'answered'`). Bodies start from a valid document of the route
// (checked by the suite against the route's schema) with one hostile change.
import fc from 'fast-check';
import { ROUTES, type RouteId } from '../../lib/api/routes.ts';
import { fixture } from '../support/service.ts';

export interface Hostile {
  route: RouteId;
  what: string;
  method: string;
  /** As sent on the wire (already percent-encoded where needed). */
  path: string;
  headers: Record<string, string>;
  body?: string;
  expect: 'refused' | 'answered';
}

/** A config stored before the run: PUT and POST /canary/{id} use it, and it must come out unchanged. */
export const EXISTING_CONFIG_ID = 'hostile-existing';
export const EXISTING_CONFIG_NAME = 'hostile-existing';
export const EXISTING_APPLICATION = 'hostile-app';

export const PROTOTYPE_KEYS = [
  'toString',
  'constructor',
  '__proto__',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupGetter__',
];

/** Scope values that would change the structure of the seed config's PromQL. */
export const INJECTED_SCOPES = [
  'version="a"}[5m])) or vector(1) or sum(rate(x{y="z"',
  'version="a"}[5m])) + on() group_left sum(rate(secret{a="b"',
  '} or up{',
  'version=~".+"}[5m])) * 0 + 1 or sum(rate(up{a="',
  '__name__=~".+"',
];

// ---- serialisation with raw JSON pieces (numbers JSON.stringify cannot write, deep nesting, __proto__ keys)

class Raw {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}
export const raw = (text: string) => new Raw(text);
/** A key written as "__proto__" in the JSON text (an object literal cannot hold one as an own key). */
const PROTO_KEY = '@@proto@@';

export function serialize(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `@@raw${raws.length - 1}@@`;
    }
    return v;
  });
  return text.replace(/"@@raw(\d+)@@"/g, (_m, i) => raws[Number(i)]).replaceAll(`"${PROTO_KEY}":`, '"__proto__":');
}

type Path = Array<string | number>;

/** A copy of `base` with the value at `path` replaced (undefined deletes it). */
function setAt(base: unknown, path: Path, value: unknown): unknown {
  const copy = structuredClone(base) as any;
  let node = copy;
  for (const key of path.slice(0, -1)) {
    if (node[key] === undefined || node[key] === null || typeof node[key] !== 'object') node[key] = {};
    node = node[key];
  }
  const last = path[path.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

const show = (path: Path) => path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('').replace(/^\./, '') || '(root)';

// ---- value arbitraries

const shortText = fc.string({ maxLength: 12 });
const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.constant({ a: 1 }));
const nonFinite = fc.constantFrom(raw('1e400'), raw('-1e400'), raw('1e999'), raw('-1e99999'));
const notNumber = fc.oneof(shortText, fc.boolean(), fc.constant(null), fc.constant([1]), fc.constant({}), nonFinite);
const notBoolean = fc.oneof(fc.constantFrom('true', 'false', 1, 0, null, [], {}), shortText);
const notArray = fc.oneof(shortText, fc.integer(), fc.boolean(), fc.constant({ 0: 'a' }), fc.constant(null));
const notObject = fc.oneof(shortText, fc.integer(), fc.boolean(), fc.constant([]), fc.constant(null));
/** Longer than any name limit (255), of any Unicode. */
const overLong = (min = 256) => fc.oneof(
  fc.integer({ min, max: 3000 }).map((n) => 'n'.repeat(n)),
  fc.string({ unit: 'grapheme', minLength: min, maxLength: min + 200 }),
  fc.string({ unit: 'binary', minLength: min, maxLength: min + 200 }),
);
/** Not a Kayenta config name: something besides letters, digits, "_", "," and "-". */
const unicodeName = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => !/^[A-Za-z0-9_,-]+$/.test(s));
const prototypeKey = fc.constantFrom(...PROTOTYPE_KEYS);
const unusableKey = prototypeKey.filter((k) => k !== '__proto__'); // __proto__ has its own case
/** Nested deeper than any body may be (64), objects or arrays, up to 100,000 levels. */
const deepValue = fc
  .tuple(fc.integer({ min: 65, max: 100_000 }), fc.boolean())
  .map(([depth, arrays]) => raw(arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"x":'.repeat(depth) + '1' + '}'.repeat(depth)));

/** Ids that must never reach a store: traversal (encoded slashes), NUL, over-long, non-ASCII, backslashes. */
export const hostileId = fc.oneof(
  fc.constantFrom(
    '..%2F..%2F..%2Fetc%2Fpasswd',
    '..%2F..%2Fcanary_config%2Fplanted',
    '%2E%2E%2F%2E%2E%2Fx',
    '..%5C..%5Cx',
    'a%00b',
    '%00',
    'x%2F..%2F..%2Fy',
    '%C3%A9t%C3%A9',
    '%E2%80%AEdi',
    '%20',
    'a%20b',
    '..%252F..%252Fx',
    '%ZZ',
  ),
  fc.integer({ min: 129, max: 4000 }).map((n) => 'a'.repeat(n)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((s) => !/[\uD800-\uDFFF]/.test(s) && !/^[A-Za-z0-9._~-]+$/.test(s)).map(encodeURIComponent),
);

/** The same ids unencoded, as body fields carry them. */
const hostileBodyId = fc.oneof(
  fc.constantFrom('../../../etc/passwd', '../canary_config/planted', 'a\u0000b', '\u0000', 'x/../../y', '..\\..\\x', 'été', '', ' ', 'a b', '..%2F..%2Fx'),
  fc.integer({ min: 129, max: 4000 }).map((n) => 'a'.repeat(n)),
  notString,
);

// ---- valid documents

const WINDOW = { start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z' };
export const validScopes = () => ({
  default: {
    controlScope: { scope: 'version="baseline"', location: 'here', ...WINDOW, step: 60 },
    experimentScope: { scope: 'version="canary"', location: 'here', ...WINDOW, step: 60 },
  },
});
const thresholds = { pass: 95, marginal: 75 };
export const validConfig = (name = 'hostile-new', application = 'hostile-app-new') => ({ ...fixture('seed-canary-config.json'), name, applications: [application] });

/** A valid body per body route (valid for its schema; the suite checks this). */
/** A standalone run of an hour from now, judged every 20 minutes (its first look waits for its window). */
const validStandaloneRequest = () => ({
  scopes: [{ scopeName: 'default', controlScope: 'version="baseline"', experimentScope: 'version="canary"', step: 60 }],
  thresholds,
  lifetimeDurationMins: 60,
  analysisIntervalMins: 20,
});

export const VALID_BODIES = {
  createCanaryConfig: () => validConfig(),
  replaceCanaryConfig: () => validConfig(EXISTING_CONFIG_NAME, EXISTING_APPLICATION),
  fetchCloudWatch: () => ({
    metricDataQueries: [{ id: 'errors', metricStat: { metric: { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count' }, stat: 'Sum' } }],
    region: 'eu-west-1',
    extendedScopeParams: { env: 'prod' },
  }),
  preview: () => ({ canaryConfig: validConfig(), executionRequest: { scopes: validScopes() }, fetch: false }),
  startCanary: () => ({ scopes: validScopes(), thresholds }),
  startAdhocCanary: () => ({ canaryConfig: validConfig(), executionRequest: { scopes: validScopes(), thresholds } }),
  remoteJudge: () => ({
    canaryConfig: validConfig(),
    metricSetPairList: [{ name: 'request_error', tags: { a: 'b' }, values: { control: [1, 2, 3], experiment: [1, 2, 'NaN'] } }],
    scoreThresholds: thresholds,
  }),
  judgement: () => ({ canaryConfig: validConfig(), application: 'hostile-app', scopes: validScopes(), thresholds }),
  startStandalone: () => validStandaloneRequest(),
  startAdhocStandalone: () => ({ canaryConfig: validConfig(), executionRequest: validStandaloneRequest() }),
} satisfies Partial<Record<RouteId, () => unknown>>;

type BodyRoute = keyof typeof VALID_BODIES;

/** A concrete path of a route: path parameters filled with `id`. */
function concrete(route: RouteId, id: string): string {
  return ROUTES[route].path.replace(/\{\w+\}/g, id);
}

const DRY_CLOUDWATCH = '?metricSetName=hostile&start=2024-01-01T00:00:00Z&end=2024-01-01T01:00:00Z&dryRun=true';

/** Where a body route is sent with its valid body: an existing config for PUT and start. */
function bodyTarget(route: BodyRoute): { method: string; path: string } {
  const r = ROUTES[route];
  if (route === 'fetchCloudWatch') return { method: r.method, path: r.path + DRY_CLOUDWATCH };
  return { method: r.method, path: concrete(route, EXISTING_CONFIG_ID) };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function bodyRequest(route: BodyRoute, what: string, body: string, expect: Hostile['expect'] = 'refused', headers: Record<string, string> = JSON_HEADERS): Hostile {
  return { route, what, ...bodyTarget(route), headers, body, expect };
}

/** One change at `path` of the route's valid body, with values from `values`. */
function change(route: BodyRoute, path: Path, values: fc.Arbitrary<unknown>, expect: Hostile['expect'] = 'refused'): fc.Arbitrary<Hostile> {
  return values.map((v) => {
    const shown = v instanceof Raw ? v.text.slice(0, 40) : JSON.stringify(v)?.slice(0, 60);
    return bodyRequest(route, `${show(path)} = ${shown}${v instanceof Raw && v.text.length > 40 ? `… (${v.text.length} chars)` : ''}`, serialize(setAt(VALID_BODIES[route](), path, v)), expect);
  });
}

/** Several changes at once (e.g. a metric's template and the templates it names). */
function changes(route: BodyRoute, what: string, edits: Array<[Path, unknown]>, expect: Hostile['expect'] = 'refused'): Hostile {
  let body: unknown = VALID_BODIES[route]();
  for (const [path, v] of edits) body = setAt(body, path, v);
  return bodyRequest(route, what, serialize(body), expect);
}

/** A "__proto__" key (with an object or a string) added to the object at `path`. */
function protoKeyAt(route: BodyRoute, path: Path): fc.Arbitrary<Hostile> {
  return fc.constantFrom<unknown>({ polluted: true }, 'x', { controlScope: {}, experimentScope: {} }).map((v) =>
    changes(route, `${show([...path, '__proto__'])} = ${JSON.stringify(v)}`, [[[...path, PROTO_KEY], v]]),
  );
}

// ---- per-route corruptions of the documents

/** Corruptions of a canary config at `at` of the route's body. */
function configCorruptions(route: BodyRoute, at: Path, opts: { storable: boolean; renders: boolean; judged?: boolean }): Array<fc.Arbitrary<Hostile>> {
  const p = (...rest: Path) => [...at, ...rest];
  const out: Array<fc.Arbitrary<Hostile>> = [
    change(route, p('name'), opts.storable ? fc.oneof(notString, overLong(), unicodeName, fc.constant('')) : fc.oneof(notString, overLong())),
    change(route, p('applications'), fc.oneof(
      notArray,
      notString.map((v) => [v]),
      overLong(256).map((v) => [v]),
      fc.integer({ min: 101, max: 300 }).map((n) => Array.from({ length: n }, (_, i) => `app${i}`)),
      ...(opts.storable ? [fc.constant([]), fc.constant([''])] : []),
    )),
    change(route, p('metrics'), fc.oneof(notArray, fc.integer({ min: 501, max: 700 }).map((n) => Array.from({ length: n }, (_, i) => ({ ...validConfig().metrics[0], name: `m${i}` }))))),
    change(route, p('metrics', 0, 'name'), opts.judged ? fc.oneof(notString, overLong()) : fc.oneof(notString, overLong(), fc.constant(''))),
    change(route, p('metrics', 0, 'scopeName'), fc.oneof(notString, overLong(), fc.constant(''))),
    change(route, p('metrics', 0, 'query', 'type'), fc.oneof(shortText.filter((s) => s !== 'prometheus' && s !== 'cloudwatch'), fc.integer(), prototypeKey)),
    change(route, p('metrics', 0, 'analysisConfigurations', 'canary', 'direction'), fc.oneof(prototypeKey, shortText.filter((s) => !['increase', 'decrease', 'either'].includes(s)), notString)),
    change(route, p('metrics', 0, 'analysisConfigurations', 'canary', 'outliers', 'outlierFactor'), fc.oneof(notNumber, fc.constantFrom(0, -1, -1e308))),
    change(route, p('metrics', 0, 'analysisConfigurations', 'canary', 'effectSize', 'allowedIncrease'), notNumber),
    change(route, p('metrics', 0, 'groups'), fc.oneof(notArray, notString.map((v) => [v]), overLong().map((v) => [v]))),
    change(route, p('classifier', 'groupWeights'), fc.oneof(
      notObject,
      fc.tuple(prototypeKey.filter((k) => k !== '__proto__'), notNumber).map(([k, v]) => ({ [k]: v })),
      ...(opts.storable ? [fc.constant({ error: 70, latency: 50 }), prototypeKey.filter((k) => k !== '__proto__').map((k) => ({ [k]: 101 })), fc.constant({ error: -1 })] : []),
    )),
    change(route, p('templates'), fc.oneof(notObject, fc.tuple(unusableKey, notString).map(([k, v]) => ({ [k]: v })))),
    change(route, p('judge'), notObject),
    protoKeyAt(route, at),
    protoKeyAt(route, p('templates')),
    protoKeyAt(route, p('classifier', 'groupWeights')),
    protoKeyAt(route, p('metrics', 0)),
    change(route, p('extra'), deepValue),
    change(route, p('metrics', 0, 'analysisConfigurations', 'canary', 'extra'), deepValue),
  ];
  if (opts.storable || opts.renders) {
    // A template named like a built-in property: none is defined (or another one is).
    const expect = opts.storable || route !== 'preview' ? 'refused' : 'answered';
    out.push(
      fc.tuple(unusableKey, fc.boolean()).map(([name, others]) =>
        changes(route, `metrics[0].query.customFilterTemplate = ${name}, templates ${others ? 'without it' : '{}'}`, [
          [p('metrics', 0, 'query'), { type: 'prometheus', metricName: 'up', customFilterTemplate: name }],
          [p('templates'), others ? { other: 'job="x",${scope}' } : {}],
        ], expect),
      ),
    );
  }
  if (opts.renders) {
    // A scope named like a built-in property that the request does not define.
    const expect = route === 'preview' ? 'answered' : 'refused';
    out.push(unusableKey.map((name) => changes(route, `metrics[0].scopeName = ${name}, scopes only default`, [[p('metrics', 0, 'scopeName'), name]], expect)));
  }
  return out;
}

/** Corruptions of a scopes object at `at`. */
function scopeCorruptions(route: BodyRoute, at: Path, injectionRefused: boolean): Array<fc.Arbitrary<Hostile>> {
  const p = (...rest: Path) => [...at, ...rest];
  const side = fc.constantFrom('controlScope', 'experimentScope');
  const sideChange = (field: string, values: fc.Arbitrary<unknown>) =>
    side.chain((s) => change(route, p('default', s, field), values));
  return [
    change(route, at, fc.oneof(notObject, fc.integer({ min: 101, max: 300 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i}`, validScopes().default]))))),
    // No scope for the metric: a start refuses it, a preview lists it as a problem.
    change(route, at, fc.constant({}), injectionRefused ? 'refused' : 'answered'),
    change(route, p('default'), notObject),
    side.chain((s) => change(route, p('default', s), notObject)),
    sideChange('step', fc.oneof(notNumber, fc.constantFrom(0, -1, 1.5, 1e9, 1e20, 1e300, 9007199254740993))),
    sideChange('start', fc.oneof(fc.constantFrom('yesterday', '2024-13-45T00:00:00Z', '1', '2024-01-01', '2024-01-01T02:00:00Z'), fc.integer(), fc.boolean())),
    sideChange('scope', notString.filter((v) => v !== null)),
    sideChange('extendedScopeParams', fc.oneof(
      notObject,
      fc.tuple(unusableKey, notString).map(([k, v]) => ({ [k]: v })),
      fc.integer({ min: 101, max: 300 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']))),
    )),
    side.chain((s) => protoKeyAt(route, p('default', s, 'extendedScopeParams'))),
    side.chain((s) => protoKeyAt(route, p('default', s))),
    protoKeyAt(route, at),
    // Template expansion that doubles at each step (a billion laughs through extendedScopeParams).
    fc.integer({ min: 20, max: 40 }).chain((levels) =>
      side.map((s) => {
        const params = Object.fromEntries(Array.from({ length: levels }, (_, i) => [`l${i}`, i === levels - 1 ? 'x'.repeat(10) : `\${l${i + 1}}\${l${i + 1}}`]));
        return changes(route, `${show(p('default', s, 'extendedScopeParams'))}: ${levels} doubling levels`, [[p('default', s, 'extendedScopeParams'), params], [p('default', s, 'scope'), '${l0}']], injectionRefused ? 'refused' : 'answered');
      }),
    ),
    side.chain((s) => fc.constantFrom(...INJECTED_SCOPES).map((v) => changes(route, `${show(p('default', s, 'scope'))} = ${v}`, [[p('default', s, 'scope'), v]], injectionRefused ? 'refused' : 'answered'))),
  ];
}

function thresholdCorruptions(route: BodyRoute, at: Path): Array<fc.Arbitrary<Hostile>> {
  return [
    change(route, at, fc.oneof(notObject, fc.constant(undefined), fc.constant({ pass: 50, marginal: 75 }))),
    fc.constantFrom('pass', 'marginal').chain((k) => change(route, [...at, k], notNumber)),
  ];
}

/** Every generic body attack: content types, broken and non-object JSON. */
function transportAttacks(route: BodyRoute): Array<fc.Arbitrary<Hostile>> {
  const valid = () => serialize(VALID_BODIES[route]());
  return [
    fc.constantFrom<Record<string, string>>({}, { 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }, { 'content-type': 'multipart/form-data; boundary=x' }, { 'content-type': 'application/jsonp' }, { 'content-type': 'text/json' }, { 'content-type': 'application/xml' }, { 'content-type': 'json' })
      .map((headers) => bodyRequest(route, `content-type ${headers['content-type'] ?? '(none)'}`, valid(), 'refused', headers)),
    fc.nat().map((n) => {
      const text = valid();
      const cut = 1 + (n % (text.length - 1));
      return bodyRequest(route, `body cut after ${cut} of ${text.length} characters`, text.slice(0, cut));
    }),
    fc.string({ unit: 'binary', maxLength: 200 }).map((s) => bodyRequest(route, `body ${JSON.stringify(s).slice(0, 60)}`, s)),
    fc.oneof(fc.jsonValue().filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)).map((v) => JSON.stringify(v)), fc.constantFrom('1e400', '-1e400', '[]', 'null', '"x"', '0'))
      .map((text) => bodyRequest(route, `body ${text.slice(0, 60)}`, text)),
    deepValue.map((v) => bodyRequest(route, `body nested ${v.text.length / 2} characters deep`, v.text)),
  ];
}

function bodyAttacks(route: BodyRoute): Array<fc.Arbitrary<Hostile>> {
  const out = transportAttacks(route);
  switch (route) {
    case 'createCanaryConfig':
    case 'replaceCanaryConfig':
      out.push(
        ...configCorruptions(route, [], { storable: true, renders: false }),
        change(route, ['id'], route === 'replaceCanaryConfig' ? fc.oneof(hostileBodyId, fc.constant('another-id')) : hostileBodyId),
      );
      break;
    case 'startCanary':
      out.push(...scopeCorruptions(route, ['scopes'], true), ...thresholdCorruptions(route, ['thresholds']), change(route, ['strict'], notBoolean), change(route, ['metadata'], notArray), protoKeyAt(route, []), change(route, ['extra'], deepValue));
      break;
    case 'startAdhocCanary':
      out.push(
        ...configCorruptions(route, ['canaryConfig'], { storable: false, renders: true }),
        ...scopeCorruptions(route, ['executionRequest', 'scopes'], true),
        ...thresholdCorruptions(route, ['executionRequest', 'thresholds']),
        change(route, ['canaryConfig'], fc.oneof(notObject, fc.constant(undefined))),
        change(route, ['executionRequest'], fc.oneof(notObject, fc.constant(undefined))),
      );
      break;
    case 'preview':
      out.push(
        ...configCorruptions(route, ['canaryConfig'], { storable: false, renders: true }),
        ...scopeCorruptions(route, ['executionRequest', 'scopes'], false),
        change(route, ['executionRequest'], fc.oneof(notObject, fc.constant(undefined))),
        change(route, ['fetch'], notBoolean),
        change(route, ['metricsAccountName'], fc.oneof(fc.integer(), fc.boolean(), fc.constant({}), fc.constantFrom('nope', 'prom,nope', ...PROTOTYPE_KEYS))),
        hostileBodyId.map((id) => changes(route, `canaryConfigId = ${JSON.stringify(id)?.slice(0, 60)} instead of canaryConfig`, [[['canaryConfig'], undefined], [['canaryConfigId'], id]])),
        fc.constant(changes(route, 'both canaryConfigId and canaryConfig', [[['canaryConfigId'], EXISTING_CONFIG_ID]])),
        fc.constant(changes(route, 'no config at all', [[['canaryConfig'], undefined]])),
        fc.oneof(overLong(), prototypeKey).map((name) => changes(route, `canaryConfigName = ${name.slice(0, 40)} in an application without it`, [[['canaryConfig'], undefined], [['canaryConfigName'], name], [['application'], EXISTING_APPLICATION]])),
      );
      break;
    case 'judgement':
      out.push(
        ...configCorruptions(route, ['canaryConfig'], { storable: false, renders: true }),
        ...scopeCorruptions(route, ['scopes'], true),
        ...thresholdCorruptions(route, ['thresholds']),
        change(route, ['application'], fc.oneof(notString, overLong(), fc.constant(''))),
        change(route, ['timeoutSeconds'], fc.oneof(notNumber, fc.constantFrom(0, -1, 29, 1e9))),
        change(route, ['lookbackSeconds'], fc.oneof(notNumber, fc.constantFrom(0, -1, 1.5, 7 * 24 * 3600 + 1))),
        change(route, ['strict'], notBoolean),
        hostileBodyId.map((id) => changes(route, `canaryConfigId = ${JSON.stringify(id)?.slice(0, 60)} instead of canaryConfig`, [[['canaryConfig'], undefined], [['canaryConfigId'], id]])),
        fc.oneof(overLong(), prototypeKey).map((name) => changes(route, `canaryConfigName = ${name.slice(0, 40)}`, [[['canaryConfig'], undefined], [['canaryConfigName'], name]])),
        protoKeyAt(route, []),
      );
      break;
    case 'remoteJudge':
      out.push(
        ...configCorruptions(route, ['canaryConfig'], { storable: false, renders: false, judged: true }),
        change(route, ['metricSetPairList'], fc.oneof(notArray, notObject.map((v) => [v]), fc.integer({ min: 10_001, max: 12_000 }).map((n) => Array.from({ length: n }, () => ({ name: 'request_error', values: { control: [], experiment: [] } }))))),
        change(route, ['metricSetPairList', 0, 'name'], fc.oneof(notString, prototypeKey, overLong())),
        fc.constantFrom('control', 'experiment').chain((s) => change(route, ['metricSetPairList', 0, 'values', s], fc.oneof(
          notArray,
          fc.constantFrom(['1'], [true], [{}], [[1]], ['nan'], ['Infinity']),
          nonFinite.map((v) => [1, v]),
          fc.integer({ min: 100_001, max: 120_000 }).map((n) => raw(`[${'0,'.repeat(n - 1)}0]`)),
        ))),
        change(route, ['metricSetPairList', 0, 'values'], notObject),
        change(route, ['metricSetPairList', 0, 'tags'], fc.oneof(notObject, fc.tuple(unusableKey, notString).map(([k, v]) => ({ [k]: v })))),
        protoKeyAt(route, ['metricSetPairList', 0, 'tags']),
        ...thresholdCorruptions(route, ['scoreThresholds']),
      );
      break;
    case 'fetchCloudWatch':
      out.push(
        change(route, ['metricDataQueries'], fc.oneof(notArray, fc.constant([]), fc.integer({ min: 501, max: 600 }).map((n) => Array.from({ length: n }, (_, i) => ({ id: `q${i}`, expression: 'SUM(METRICS())' }))))),
        change(route, ['metricDataQueries', 0, 'id'], fc.oneof(notString, fc.constantFrom('Errors', '1x', '', 'a-b', ...PROTOTYPE_KEYS.filter((k) => !/^[a-z][A-Za-z0-9_]*$/.test(k))), overLong())),
        change(route, ['region'], notString.filter((v) => v !== null)),
        change(route, ['extendedScopeParams'], fc.oneof(notObject, fc.tuple(unusableKey, notString).map(([k, v]) => ({ [k]: v })))),
        protoKeyAt(route, ['extendedScopeParams']),
        change(route, ['extra'], deepValue),
      );
      break;
  }
  return out;
}

/** Query-string attacks on the routes that read numbers or required parameters. */
function queryAttacks(): Partial<Record<RouteId, Array<fc.Arbitrary<Hostile>>>> {
  const notDecimal = fc.oneof(
    fc.constantFrom('0x10', '1e1', ' 5', '5 ', '+5', '-1', '0', '1.5', '1.0', 'abc', '０５', '٥', 'Infinity', 'NaN', '99999999999999999999', '9'.repeat(400), '5,6', '0b101', '0o7', '\t5'),
    fc.string({ maxLength: 8 }).filter((s) => s !== '' && !/^\d+$/.test(s)),
  );
  const get = (route: RouteId, query: string, what: string): Hostile => ({ route, what, method: ROUTES[route].method, path: `${ROUTES[route].path}?${query}`, headers: {}, expect: 'refused' });
  const promBase = { metricSetName: 'hostile', metricName: 'up', step: '60', dryRun: 'true', customFilter: 'job="x",${scope}', scope: 'version="a"' };
  const prom = (change: Record<string, string | undefined>, what: string): Hostile => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...promBase, ...change })) if (v !== undefined) params.append(k, v);
    return { route: 'fetchPrometheus', what, method: 'POST', path: `/fetch/prometheus/query?${params}`, headers: {}, expect: 'refused' };
  };
  return {
    listCanaryExecutions: [
      fc.tuple(fc.constantFrom('limit', 'page'), notDecimal).map(([k, v]) => get('listCanaryExecutions', `${k}=${encodeURIComponent(v)}`, `${k}=${JSON.stringify(v).slice(0, 40)}`)),
      fc.constantFrom('limit=101', 'limit=0', 'page=0').map((q) => get('listCanaryExecutions', q, q)),
      fc.oneof(shortText.filter((s) => s.trim() !== '' && !s.includes(',')), prototypeKey).map((s) => get('listCanaryExecutions', `statuses=${encodeURIComponent(s)}`, `statuses=${s}`)),
    ],
    fetchPrometheus: [
      notDecimal.map((v) => prom({ step: v }, `step=${JSON.stringify(v).slice(0, 40)}`)),
      fc.constantFrom('metricSetName', 'metricName', 'step').map((k) => prom({ [k]: undefined }, `${k} missing`)),
      unusableKey.map((k) => prom({ customFilter: undefined, resourceType: k }, `resourceType=${k}`)),
      fc.constantFrom(...INJECTED_SCOPES).map((s) => prom({ scope: s }, `scope=${s}`)),
      fc.oneof(fc.constantFrom('nope', 'prom,nope'), prototypeKey).map((a) => prom({ metricsAccountName: a }, `metricsAccountName=${a}`)),
      notBoolean.filter((v) => typeof v === 'string' && v !== 'true' && v !== 'false').map((v) => prom({ dryRun: v as string }, `dryRun=${v}`)),
      fc.constantFrom('yesterday', '2024-13-45T00:00:00Z', '1').map((v) => prom({ dryRun: 'false', start: v, end: '2024-01-01T01:00:00Z' }, `start=${v} (not a dry run)`)),
      fc.constant(prom({ dryRun: 'false' }, 'no start or end (not a dry run)')),
    ],
    fetchCloudWatch: [
      notDecimal.map((v) => ({ ...bodyRequest('fetchCloudWatch', `step=${JSON.stringify(v).slice(0, 40)}`, serialize(VALID_BODIES.fetchCloudWatch())), path: `/fetch/cloudwatch/query${DRY_CLOUDWATCH}&step=${encodeURIComponent(v)}` })),
      fc.constant({ ...bodyRequest('fetchCloudWatch', 'metricSetName missing', serialize(VALID_BODIES.fetchCloudWatch())), path: '/fetch/cloudwatch/query?dryRun=true' }),
    ],
  };
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/** Methods served on a concrete path, as the router decides (literal segments win over {params}). */
function servedMethods(path: string): Set<string> {
  const parts = path.split('/').filter(Boolean);
  const matches = Object.values(ROUTES)
    .map((r) => {
      const segs = r.path.split('/').filter(Boolean);
      if (segs.length !== parts.length) return undefined;
      let literals = 0;
      for (let i = 0; i < segs.length; i++) {
        if (segs[i].startsWith('{')) continue;
        if (segs[i] !== parts[i]) return undefined;
        literals++;
      }
      return { method: r.method as string, literals };
    })
    .filter((m) => m !== undefined);
  const best = Math.max(...matches.map((m) => m.literals));
  return new Set(matches.filter((m) => m.literals === best).map((m) => m.method));
}

function wrongMethods(route: RouteId): fc.Arbitrary<Hostile> {
  const path = concrete(route, EXISTING_CONFIG_ID);
  const served = servedMethods(path);
  const wrong = METHODS.filter((m) => !served.has(m));
  return fc.tuple(fc.constantFrom(...wrong), fc.boolean()).map(([method, withBody]) => ({
    route,
    what: `${method} on ${ROUTES[route].path}`,
    method,
    path,
    headers: withBody ? JSON_HEADERS : {},
    body: withBody ? '{}' : undefined,
    expect: 'refused' as const,
  }));
}

function pathIdAttacks(route: RouteId): fc.Arbitrary<Hostile> | undefined {
  if (!ROUTES[route].path.includes('{')) return undefined;
  const r = ROUTES[route];
  const body = route in VALID_BODIES ? serialize(VALID_BODIES[route as BodyRoute]()) : undefined;
  return hostileId.map((id) => ({
    route,
    what: `id ${id.slice(0, 60)}${id.length > 60 ? `… (${id.length} chars)` : ''}`,
    method: r.method,
    path: concrete(route, id),
    headers: body ? JSON_HEADERS : {},
    body,
    expect: 'refused' as const,
  }));
}

/** Query parameters named like built-in properties, which a plain object would resolve to Object.prototype's. */
const prototypeQuery = fc.subarray(PROTOTYPE_KEYS, { minLength: 1 }).map((keys) => keys.map((k, i) => `${encodeURIComponent(k)}=${i}`).join('&'));

function withQuery(h: Hostile, query: string): Hostile {
  return { ...h, what: `${h.what} + ?${query}`, path: `${h.path}${h.path.includes('?') ? '&' : '?'}${query}` };
}

/** A read-only GET route with nothing but prototype-named parameters: answered as without them. */
function prototypeQueryOnly(route: RouteId): fc.Arbitrary<Hostile> | undefined {
  const r = ROUTES[route];
  if (r.method !== 'GET' || r.path.includes('{')) return undefined;
  return prototypeQuery.map((query) => ({ route, what: `?${query}`, method: 'GET', path: `${r.path}?${query}`, headers: {}, expect: 'answered' as const }));
}

/** Starts with a hostile idempotency key or application in the query or header. */
function startParamAttacks(route: 'startCanary' | 'startAdhocCanary' | 'judgement'): fc.Arbitrary<Hostile> {
  const longAscii = fc.integer({ min: 256, max: 4000 }).map((n) => 'k'.repeat(n));
  const latin1 = fc.constantFrom('clé', 'ñ', '\u00a0key', 'Ã©');
  const header = fc.oneof(longAscii, latin1).map((key) =>
    ({ ...bodyRequest(route, `Idempotency-Key ${key.slice(0, 20)}${key.length > 20 ? `… (${key.length} chars)` : ''}`, serialize(VALID_BODIES[route]())), headers: { ...JSON_HEADERS, 'idempotency-key': key } }),
  );
  if (route === 'judgement') return header;
  const query = fc.oneof(
    fc.oneof(longAscii, fc.constantFrom('a\u0000b', 'clé\u0001')).map((key) => [`idempotencyKey=${encodeURIComponent(key)}`, `idempotencyKey ${key.slice(0, 20)}`]),
    fc.oneof(overLong(201), fc.constantFrom('app\u0000', '\u0007bell', 'a\nb')).filter((a) => !/[\uD800-\uDFFF]/.test(a)).map((a) => [`application=${encodeURIComponent(a)}`, `application ${JSON.stringify(a.slice(0, 20))} (${a.length} chars)`]),
  ).map(([q, what]) => {
    const h = bodyRequest(route, what, serialize(VALID_BODIES[route]()));
    return { ...h, path: `${h.path}${h.path.includes('?') ? '&' : '?'}${q}` };
  });
  return fc.oneof(header, query);
}

/** Every route's hostile inputs; the suite checks that every route of the table has some. */
export function hostileRequests(): Record<RouteId, fc.Arbitrary<Hostile>> {
  const queries = queryAttacks();
  const out = {} as Record<RouteId, fc.Arbitrary<Hostile>>;
  for (const route of Object.keys(ROUTES) as RouteId[]) {
    const arbs: Array<fc.Arbitrary<Hostile>> = [wrongMethods(route)];
    const ids = pathIdAttacks(route);
    if (ids) arbs.push(ids, ids);
    if (route in VALID_BODIES) arbs.push(...bodyAttacks(route as BodyRoute));
    if (route === 'startCanary' || route === 'startAdhocCanary' || route === 'judgement') arbs.push(startParamAttacks(route));
    arbs.push(...(queries[route] ?? []));
    const onlyPrototypeQuery = prototypeQueryOnly(route);
    if (onlyPrototypeQuery) arbs.push(onlyPrototypeQuery);
    // Any of them may carry prototype-named query parameters too (one in four).
    const extraQuery = fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: prototypeQuery, weight: 1 });
    out[route] = fc.tuple(fc.oneof(...arbs), extraQuery).map(([h, query]) => (query === null ? h : withQuery(h, query)));
  }
  return out;
}

// A stand-in for API Gateway's HTTP API, built from the packaged template: its routes
// (AWS::ApiGatewayV2::Route), their Lambda proxy integrations (payload 2.0) and their Lambda
// REQUEST authorizers (simple responses, payload 2.0). A request is matched to a route as API
// Gateway matches it, the route's authorizer function is invoked with the authorizer event first
// (isAuthorized false: 403 {"message":"Forbidden"}), then the route's function with the proxy event,
// requestContext.authorizer.lambda holding the authorizer's context; the function's answer is
// turned into the HTTP response as API Gateway turns it (a function error is a 500).
import { randomUUID } from 'node:crypto';
import type { LambdaFunction } from './lambdas.ts';
import type { Json } from './template.ts';

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: Json;
}

interface Route {
  routeKey: string;
  method: string;
  segments: string[];
  target: LambdaFunction;
  authorizer?: LambdaFunction;
}

const API_ID = 'artifact';
const ACCOUNT = '000000000000';

/** The logical id a `{Fn::GetAtt: [X, Arn]}` names, wherever it sits in a value (Fn::Join parts). */
function getAttTarget(value: Json): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) return value.map(getAttTarget).find((x) => x !== undefined);
  if ('Fn::GetAtt' in value) return [value['Fn::GetAtt']].flat()[0].split('.')[0];
  return Object.values(value).map(getAttTarget).find((x) => x !== undefined);
}

const refOf = (value: Json): string | undefined => {
  if (!value || typeof value !== 'object') return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  return (Array.isArray(value) ? value : Object.values(value)).map(refOf).find((x: string | undefined) => x !== undefined);
};

export class HttpApi {
  private readonly routes: Route[] = [];

  /** `functions`: the running functions by their template logical id. */
  constructor(template: Json, functions: Map<string, LambdaFunction>) {
    const resources: Record<string, Json> = template.Resources;
    const fnOf = (id: string | undefined, what: string): LambdaFunction => {
      const fn = id && functions.get(id);
      if (!fn) throw new Error(`${what}: no function ${id} among those started`);
      return fn;
    };
    for (const [id, r] of Object.entries<Json>(resources)) {
      if (r.Type !== 'AWS::ApiGatewayV2::Route') continue;
      const routeKey: string = r.Properties.RouteKey;
      const integration = resources[refOf(r.Properties.Target)!];
      if (integration?.Properties.IntegrationType !== 'AWS_PROXY' || integration.Properties.PayloadFormatVersion !== '2.0') {
        throw new Error(`${id}: not a Lambda proxy integration of payload 2.0`);
      }
      let authorizer: LambdaFunction | undefined;
      if (r.Properties.AuthorizationType === 'CUSTOM') {
        const a = resources[refOf(r.Properties.AuthorizerId)!].Properties;
        if (a.AuthorizerType !== 'REQUEST' || a.EnableSimpleResponses !== true || a.AuthorizerPayloadFormatVersion !== '2.0') {
          throw new Error(`${id}: only REQUEST authorizers with simple responses (payload 2.0) are modelled here`);
        }
        authorizer = fnOf(getAttTarget(a.AuthorizerUri), id);
      } else if (r.Properties.AuthorizationType && r.Properties.AuthorizationType !== 'NONE') {
        throw new Error(`${id}: authorization ${r.Properties.AuthorizationType} is not modelled here`);
      }
      const [method, path] = routeKey.split(' ');
      if (path.includes('+}')) throw new Error(`${id}: greedy path variables are not modelled here`);
      this.routes.push({ routeKey, method, segments: path.split('/').slice(1), target: fnOf(getAttTarget(integration.Properties.IntegrationUri), id), authorizer });
    }
  }

  /** The route API Gateway picks: the method's (else ANY), literal segments before variables. */
  private match(method: string, path: string): { route: Route; pathParameters: Record<string, string> } | undefined {
    const parts = path.split('/').slice(1);
    const candidates: Array<{ route: Route; pathParameters: Record<string, string>; rank: number[] }> = [];
    for (const route of this.routes) {
      if ((route.method !== method && route.method !== 'ANY') || route.segments.length !== parts.length) continue;
      const pathParameters: Record<string, string> = {};
      const rank = [route.method === method ? 1 : 0];
      const ok = route.segments.every((seg, i) => {
        const variable = /^\{(\w+)\}$/.exec(seg);
        rank.push(variable ? 0 : 1);
        if (!variable) return seg === parts[i];
        pathParameters[variable[1]] = decodeURIComponent(parts[i]);
        return parts[i] !== '';
      });
      if (ok) candidates.push({ route, pathParameters, rank });
    }
    const order = (a: number[], b: number[]) => b.findIndex((x, i) => x !== a[i]);
    candidates.sort((a, b) => {
      const i = order(a.rank, b.rank);
      return i < 0 ? 0 : b.rank[i] - a.rank[i];
    });
    return candidates[0];
  }

  /** A request, as a client sends it to the API's URL. */
  async request(method: string, target: string, options: { headers?: Record<string, string>; body?: unknown } = {}): Promise<HttpReply> {
    const url = new URL(target, `https://${API_ID}.execute-api.us-east-1.amazonaws.com`);
    const headers: Record<string, string> = { host: url.host, 'user-agent': 'canaria-artifact-test', 'x-forwarded-proto': 'https' };
    for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const found = this.match(method, url.pathname);
    if (!found) return reply(404, { 'content-type': 'application/json' }, '{"message":"Not Found"}');
    const { route, pathParameters } = found;
    const queryStringParameters: Record<string, string> = {};
    for (const [k, v] of url.searchParams) queryStringParameters[k] = k in queryStringParameters ? `${queryStringParameters[k]},${v}` : v;
    const now = new Date();
    const requestContext = {
      accountId: ACCOUNT,
      apiId: API_ID,
      domainName: url.host,
      domainPrefix: API_ID,
      http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: headers['user-agent'] },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    };
    const common = {
      version: '2.0',
      routeKey: route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      ...(url.search ? { queryStringParameters } : {}),
      ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    };
    let authorizerContext: Record<string, unknown> | undefined;
    if (route.authorizer) {
      let verdict: Json;
      try {
        verdict = await route.authorizer.invoke({
          ...common,
          type: 'REQUEST',
          routeArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:${API_ID}/$default/${method}${url.pathname}`,
          identitySource: [],
          requestContext,
        });
      } catch {
        return reply(500, { 'content-type': 'application/json' }, '{"message":"Internal Server Error"}');
      }
      if (verdict?.isAuthorized !== true) return reply(403, { 'content-type': 'application/json' }, '{"message":"Forbidden"}');
      authorizerContext = verdict.context ?? {};
    }
    let result: Json;
    try {
      result = await route.target.invoke({
        ...common,
        requestContext: { ...requestContext, ...(authorizerContext ? { authorizer: { lambda: authorizerContext } } : {}) },
        ...(body !== undefined ? { body, isBase64Encoded: false } : { isBase64Encoded: false }),
      });
    } catch {
      return reply(500, { 'content-type': 'application/json' }, '{"message":"Internal Server Error"}');
    }
    // Payload 2.0: an object with statusCode is the response; anything else is a 200 JSON body.
    if (result && typeof result === 'object' && 'statusCode' in result) {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries<unknown>(result.headers ?? {})) out[k.toLowerCase()] = String(v);
      const text = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : String(result.body);
      return reply(result.statusCode, out, text);
    }
    return reply(200, { 'content-type': 'application/json' }, typeof result === 'string' ? result : JSON.stringify(result));
  }
}

function reply(status: number, headers: Record<string, string>, body: string): HttpReply {
  let json: Json;
  try {
    json = body ? JSON.parse(body) : undefined;
  } catch {
    json = undefined;
  }
  return { status, headers, body, json };
}

// The OpenAPI 3.1 document, generated from the route table and its zod schemas.
import * as z from 'zod';
import { JWT_SCOPE_PREFIX, SCOPES } from '../auth/scopes.ts';
import { KAYENTA_PREFIX, messageSchema, ROUTES, type RouteSpec } from './routes.ts';
import { BODY_SCHEMAS } from './route-bodies.ts';

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request: the message names the field and the problem',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Request body over 1 MiB',
  415: 'Content-Type is not application/json',
  401: 'No credential, or one that is unknown or revoked (WWW-Authenticate: Bearer)',
  403: "The credential's scope is too narrow for this route",
  502: 'The metrics store failed or did not answer, after retries',
  504: 'The answer did not come within the request deadline (before API Gateway cuts at 30 s)',
};

/**
 * The security schemes: an API key in either header, or a JWT (OAuth2 client credentials, checked
 * by API Gateway on AWS). Scopes nest: admin ⊃ analyze ⊃ read.
 */
const SECURITY_SCHEMES = {
  apiKeyHeader: {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
    description: 'An API key (canaria keys create --scope read|analyze|admin); its scope must be the one the operation names or wider.',
  },
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: `An API key, or on a stack deployed with the JWT authorizer an OAuth2 access token whose scope claim holds ${SCOPES.map((s) => JWT_SCOPE_PREFIX + s).join(', ')}.`,
  },
};

/** What an operation needs: none for open routes, else either scheme, with the scope named. */
function security(r: RouteSpec) {
  if (r.access === 'open') return { security: [] };
  return { security: [{ apiKeyHeader: [] }, { bearer: [`${JWT_SCOPE_PREFIX}${r.access}`] }], 'x-canaria-scope': r.access };
}

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [operationId, r] of Object.entries(ROUTES) as Array<[string, RouteSpec]>) {
    const pathParams = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => {
      const spec = r.params?.[m[1]];
      return {
        name: m[1],
        in: 'path',
        required: true,
        ...(spec ? { description: spec.description } : {}),
        schema: spec ? jsonSchema(spec.schema) : { type: 'string' },
      };
    });
    const queryParams = Object.entries(r.query ?? {}).map(([name, description]) => ({
      name,
      in: 'query',
      required: false,
      description,
      schema: { type: 'string' },
    }));
    const responses: Record<string, unknown> = {
      [r.response.status]: {
        description: r.response.description,
        ...(r.response.schema ? { content: { 'application/json': { schema: jsonSchema(r.response.schema) } } } : {}),
        ...(r.response.contentType ? { content: { [r.response.contentType]: { schema: { type: 'string' } } } } : {}),
      },
    };
    const errors = r.access === 'open' ? r.errors : [...r.errors, 401, 403];
    for (const status of [...new Set(errors)].sort((a, b) => a - b)) {
      responses[status] = { description: STATUS_TEXT[status], content: { 'application/json': { schema: jsonSchema(messageSchema) } } };
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = {
      operationId,
      summary: r.summary,
      ...(r.kayenta
        ? { description: `Also served without a credential under ${KAYENTA_PREFIX}${r.path}, for Argo Rollouts' kayenta provider (which cannot send a header); a wrong secret is a 404.` }
        : {}),
      ...security(r),
      parameters: [...pathParams, ...queryParams],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(BODY_SCHEMAS[r.body]) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'canaria',
      version,
      description:
        "Automated canary analysis with Kayenta's API and judge. Errors are JSON {\"message\": ...}. Every operation but /health and the console page (GET /, which holds no data) needs a credential whose scope (read ⊂ analyze ⊂ admin) is x-canaria-scope or wider: 401 without one, 403 when it is too narrow.",
    },
    security: [{ apiKeyHeader: [] }, { bearer: [] }],
    components: { securitySchemes: SECURITY_SCHEMES },
    paths,
  };
}

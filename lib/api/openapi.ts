// The OpenAPI 3.1 document, generated from the route table and its zod schemas.
import { z } from 'zod';
import { messageSchema, ROUTES, type RouteSpec } from './routes.ts';

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request: the message names the field and the problem',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Request body over 1 MiB',
  415: 'Content-Type is not application/json',
  502: 'The metrics store failed or did not answer, after retries',
};

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
      },
    };
    for (const status of r.errors) {
      responses[status] = { description: STATUS_TEXT[status], content: { 'application/json': { schema: jsonSchema(messageSchema) } } };
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = {
      operationId,
      summary: r.summary,
      parameters: [...pathParams, ...queryParams],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'canaria',
      version,
      description: "Automated canary analysis with Kayenta's API and judge. Errors are JSON {\"message\": ...}.",
    },
    paths,
  };
}

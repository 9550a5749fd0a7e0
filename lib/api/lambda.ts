// The only place that knows API Gateway's event shapes (HTTP API, payload 2.0).
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { errorBody, parseQueryString, type ApiRequest, type ApiResponse } from './http.ts';
import type { App } from './router.ts';

export function fromHttpApiEvent(event: APIGatewayProxyEventV2): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    query: parseQueryString(event.rawQueryString ?? ''),
    headers,
    body: event.body === undefined ? undefined : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'),
  };
}

export function toHttpApiResult(res: ApiResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: res.status, headers: res.headers, body: res.body };
}

/** A Lambda handler serving `app`; a failure outside the app still answers with JSON. */
export function httpApiHandler(app: App) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
    .handler(async (event) => toHttpApiResult(await app(fromHttpApiEvent(event))))
    .onError(async (request) => {
      console.error(request.error);
      request.response = toHttpApiResult(errorBody(500, 'Internal error; the service log has the details.'));
    });
}

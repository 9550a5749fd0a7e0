// The HTML routes over HTTP: content type and headers, the JSON 404, the OpenAPI entries.
import { describe, expect, it } from 'vitest';
import { useLocalService } from '../support/service.ts';

const svc = useLocalService();

describe('GET / and GET /canary/{id}/report', () => {
  it('serves the console as HTML that may call only this origin, uncached', async () => {
    const r = await svc.call('GET', '/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(r.text).toContain('<h1>Console</h1>');
  });

  it('answers an unknown or invalid execution with a JSON 404, as GET /canary/{id} does', async () => {
    for (const id of ['01NOSUCHEXECUTION00000000000', 'bad%2Fid']) {
      const r = await svc.call('GET', `/canary/${id}/report`);
      expect(r.status, r.text).toBe(404);
      expect(r.headers.get('content-type')).toBe('application/json');
      expect(typeof r.json.message).toBe('string');
    }
  });

  it('documents both routes as text/html in the OpenAPI document', async () => {
    const doc = (await svc.call('GET', '/openapi.json')).json;
    expect(Object.keys(doc.paths['/canary/{canaryExecutionId}/report'].get.responses['200'].content)).toEqual(['text/html']);
    expect(doc.paths['/canary/{canaryExecutionId}/report'].get['x-canaria-scope']).toBe('read');
    expect(Object.keys(doc.paths['/'].get.responses['200'].content)).toEqual(['text/html']);
    expect(doc.paths['/'].get.security).toEqual([]);
  });
});

// docs/auth.md and the Argo templates say what the code does: the scope table is the route
// table's, and the templates' credentials get through (and a narrower one does not).
import type { Context } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { canaryHandlers } from '../../lib/api/canary-api.ts';
import { httpApiHandler } from '../../lib/api/lambda.ts';
import { createApp } from '../../lib/api/router.ts';
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { SequenceStore } from '../../lib/analysis/sequences.ts';
import { MetricAccounts } from '../../lib/metrics/sources.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';
import { openSqliteStorage } from '../../lib/store/sqlite-storage.ts';
import { useLocalService } from '../support/service.ts';
import { dataDirWithKeys, httpEvent, routeEntries } from './support.ts';

const doc = (path: string) => readFileSync(new URL(`../../docs/${path}`, import.meta.url), 'utf8');
const yamlDocs = (path: string) => parseAllDocuments(doc(path)).map((d) => d.toJS());
/** Argo's templating, for the args given. */
const resolveArgs = (value: unknown, args: Record<string, string>): any =>
  JSON.parse(JSON.stringify(value).replace(/\{\{args\.([\w-]+)\}\}/g, (_, name) => (name in args ? args[name] : `{{args.${name}}}`)));

describe('docs/auth.md', () => {
  it('lists every route with the scope of the route table', () => {
    const text = doc('auth.md');
    const table = text.slice(text.indexOf('| route | scope |'));
    const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
    const documented: Record<string, string> = {};
    for (const row of rows) {
      const [routes, scope] = row.split('|').slice(1, 3).map((c) => c.trim());
      for (const m of routes.matchAll(/`([A-Z]+ [^`]+)`/g)) documented[m[1]] = scope;
    }
    const expected = Object.fromEntries(routeEntries.map(([, r]) => [`${r.method} ${r.path}`, r.access === 'open' ? 'none' : r.access]));
    expect(documented).toEqual(expected);
  });
});

describe('the Argo templates', () => {
  let setup: Awaited<ReturnType<typeof dataDirWithKeys>>;
  beforeAll(async () => {
    setup = await dataDirWithKeys();
  });
  const svc = useLocalService(() => ({ dataDir: setup.dataDir, auth: true }));

  it('web-provider.yaml sends its API key in a header canaria reads: analyze gets through, read is refused', async () => {
    const [template] = yamlDocs('argo/web-provider.yaml');
    expect(template.spec.args.find((a: { name: string }) => a.name === 'api-key').valueFrom.secretKeyRef).toEqual({ name: 'canaria', key: 'apiKey' });
    const send = async (key: string) => {
      const web = resolveArgs(template.spec.metrics[0].provider.web, { 'canaria-address': svc.url(), 'api-key': key, 'stable-hash': 'a1', 'canary-hash': 'b2' });
      const headers = Object.fromEntries(web.headers.map((h: { key: string; value: string }) => [h.key, h.value]));
      return fetch(web.url, { method: web.method, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(web.jsonBody) });
    };
    const ok = await send(setup.keys.analyze);
    expect([401, 403], await ok.clone().text()).not.toContain(ok.status);
    expect(ok.status).toBe(404); // through auth: the template's config does not exist here
    expect((await send(setup.keys.read)).status).toBe(403);
    expect((await send('cnr_0000000000000000_' + 'x'.repeat(43))).status).toBe(401);
  });

  it('kayenta-provider.yaml reads the address with the secret prefix from the Secret of rollout.yaml', () => {
    const [template] = yamlDocs('argo/kayenta-provider.yaml');
    const address = template.spec.args.find((a: { name: string }) => a.name === 'canaria-address');
    expect(address.valueFrom.secretKeyRef).toEqual({ name: 'canaria', key: 'kayentaAddress' });
    expect(template.spec.metrics[0].provider.kayenta.address).toBe('{{args.canaria-address}}');
    const secret = yamlDocs('argo/rollout.yaml').find((d) => d.kind === 'Secret' && d.metadata.name === 'canaria');
    expect(secret.stringData.kayentaAddress).toMatch(/^https:\/\/[^/]+\/k\/[^/]+$/);
    expect(Object.keys(secret.stringData).sort()).toEqual(['address', 'apiKey', 'kayentaAddress']);
  });

  it('web-provider-oauth2.yaml asks for a token with canaria/analyze, which the JWT path lets through', async () => {
    const [template] = yamlDocs('argo/web-provider-oauth2.yaml');
    const web = template.spec.metrics[0].provider.web;
    // Argo's OAuth2Config: tokenUrl, clientId, clientSecret, scopes (api-spec.md §3.3).
    expect(Object.keys(web.authentication.oauth2).sort()).toEqual(['clientId', 'clientSecret', 'scopes', 'tokenUrl']);
    expect(web.headers).toBeUndefined(); // the token is the Authorization header
    const oauthSecret = yamlDocs('argo/rollout.yaml').find((d) => d.kind === 'Secret' && d.metadata.name === 'canaria-oauth');
    expect(Object.keys(oauthSecret.stringData).sort()).toEqual(['clientId', 'clientSecret', 'tokenUrl']);
    // What API Gateway's JWT authorizer hands the function for a token of those scopes.
    const storage = openSqliteStorage(':memory:');
    const configs = new ConfigStore(storage);
    const handler = httpApiHandler(
      createApp(canaryHandlers({ configs, executions: new ExecutionStore(storage), accounts: new MetricAccounts([]), starter: { start: async () => undefined }, sequences: new SequenceStore(storage.records), now: Date.now })),
      {},
    );
    const body = JSON.stringify(resolveArgs(web.jsonBody, { 'stable-hash': 'a1', 'canary-hash': 'b2' }));
    const call = (scope: string) =>
      handler(
        httpEvent('POST', '/v1/judgements', { body, headers: { 'content-type': 'application/json' }, authorizer: { jwt: { claims: { scope, client_id: 'argo' }, scopes: null } } }),
        {} as Context,
      );
    const through = await call(web.authentication.oauth2.scopes.join(' '));
    expect([401, 403], through.body).not.toContain(through.statusCode);
    expect((await call('canaria/read')).statusCode).toBe(403);
    await storage.close();
  });
});

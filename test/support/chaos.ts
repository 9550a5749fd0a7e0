// Crash rounds against a real `canaria serve --data-dir`: clients create, replace and delete
// configs and start analyses while the process is killed with SIGKILL at a random moment; after
// each restart every acknowledged write must read back, nothing half-written may show, every
// name must stay usable, and no analysis may be stuck or unreadable. Used by
// test/local/crash.test.ts (a few rounds) and `npm run test:chaos` (many, with figures).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from './prometheus-data.ts';
import { startServe } from './serve-bin.ts';

export interface ChaosOptions {
  rounds: number;
  /** Concurrent clients per round. */
  clients?: number;
  /** The kill comes this many ms after the clients start, uniformly. */
  killAfterMs?: [number, number];
  seed?: number;
  log?: (line: string) => void;
}

export interface ChaosFigures {
  rounds: number;
  kills: number;
  /** Writes the service answered 2xx before it was killed. */
  acknowledged: number;
  /** Writes cut off by the kill (their outcome may be either). */
  interrupted: number;
  /** Acknowledged writes not read back as written. */
  lost: number;
  /** Listed configs that answer anything but 200, and interrupted writes half applied. */
  broken: number;
  /** Names of deleted or never-created configs that could not be used again. */
  stuckNames: number;
  analyses: number;
  /** Analyses that answer anything but 200 with complete: true after a restart. */
  stuckAnalyses: number;
  problems: string[];
}

type Body = { id: string; name: string; applications: string[]; description: string; metrics: unknown[] };
/** What a config id must read back as: a body, or absent; several when a write was cut off. */
type Expect = Array<Body | 'absent'>;

const APP = 'chaos';
const metric = { name: 'latency', query: { type: 'prometheus', customInlineTemplate: 'PromQL:avg(latency{${scope}})' }, groups: ['g'], scopeName: 'default' };

/** A Prometheus that answers every range query with the same small matrix, slowly enough to be caught mid-analysis. */
async function fakePrometheus(): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const start = Number(url.searchParams.get('start') ? Date.parse(url.searchParams.get('start')!) / 1000 : 0);
    const values = Array.from({ length: 60 }, (_, i) => [start + i * 60, String(100 + (i % 7))]);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values }] } }));
    }, 20);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stop: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

const serve = (dataDir: string, accounts: string) => startServe(['--quiet', '--data-dir', dataDir, '--accounts', accounts]);

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(base + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

const same = (a: Body, b: any) => b && a.name === b.name && a.description === b.description && JSON.stringify(a.applications) === JSON.stringify(b.applications) && JSON.stringify(a.metrics) === JSON.stringify(b.metrics);
const describe = (e: Body | 'absent') => (e === 'absent' ? 'absent' : `"${e.description}"`);

export async function crashRounds(options: ChaosOptions): Promise<ChaosFigures> {
  const random = mulberry32(options.seed ?? 1);
  const [minKill, maxKill] = options.killAfterMs ?? [30, 400];
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'canaria-chaos-'));
  const prom = await fakePrometheus();
  const accounts = join(dir, 'accounts.yaml');
  writeFileSync(accounts, `accounts:\n  - {name: prom, type: prometheus, endpoint: ${prom.url}}\n`);
  const dataDir = join(dir, 'data');
  const figures: ChaosFigures = { rounds: 0, kills: 0, acknowledged: 0, interrupted: 0, lost: 0, broken: 0, stuckNames: 0, analyses: 0, stuckAnalyses: 0, problems: [] };
  const model = new Map<string, Expect>();
  const executions = new Set<string>();
  let counter = 0;
  let service = await serve(dataDir, accounts);
  try {
    for (let round = 1; round <= options.rounds; round++) {
      figures.rounds = round;
      let alive = true;
      const busy = new Set<string>();
      const body = (id: string, name: string): Body => ({ id, name, applications: [APP], description: `v${++counter}`, metrics: [metric] });
      const base = service.url;

      const client = async () => {
        while (alive) {
          const present = [...model].filter(([id, e]) => e.length === 1 && e[0] !== 'absent' && !busy.has(id)).map(([id]) => id);
          const roll = random();
          let id: string;
          let before: Expect;
          let after: Expect;
          let request: () => Promise<{ status: number; json: any }>;
          let ok: (status: number) => boolean;
          if (roll < 0.1) {
            const now = Math.floor(Date.now() / 1000);
            const scope = (v: string) => ({ scope: `version="${v}"`, start: new Date((now - 3600) * 1000).toISOString(), end: new Date(now * 1000).toISOString(), step: 60 });
            try {
              const r = await call(base, 'POST', `/canary?application=${APP}&metricsAccountName=prom`, {
                canaryConfig: { name: 'adhoc', metrics: [metric] },
                executionRequest: { scopes: { default: { controlScope: scope('baseline'), experimentScope: scope('canary') } }, thresholds: { pass: 90, marginal: 60 } },
              });
              if (r.status === 200) executions.add(r.json.canaryExecutionId);
            } catch {
              // killed mid-request
            }
            continue;
          }
          if (roll < 0.5 || present.length === 0) {
            id = randomUUID();
            const b = body(id, `chaos-${id.slice(0, 8)}`);
            before = ['absent'];
            after = [b];
            request = () => call(base, 'POST', '/canaryConfig', b);
            ok = (s) => s === 200;
          } else {
            id = present[Math.floor(random() * present.length)];
            before = model.get(id)!;
            const old = before[0] as Body;
            if (roll < 0.8) {
              // Some replacements rename, which moves the config's name claim.
              const b = body(id, random() < 0.3 ? `chaos-${randomUUID().slice(0, 8)}` : old.name);
              after = [b];
              request = () => call(base, 'PUT', `/canaryConfig/${id}`, b);
              ok = (s) => s === 200;
            } else {
              after = ['absent'];
              request = () => call(base, 'DELETE', `/canaryConfig/${id}`);
              ok = (s) => s === 204;
            }
          }
          busy.add(id);
          try {
            const r = await request();
            if (!ok(r.status)) throw Object.assign(new Error(`${r.status} ${JSON.stringify(r.json)}`), { answered: true });
            model.set(id, after);
            figures.acknowledged++;
          } catch (err) {
            if ((err as { answered?: boolean }).answered) {
              figures.problems.push(`round ${round}: a write was refused: ${(err as Error).message}`);
              figures.broken++;
            } else {
              model.set(id, [...before, ...after]); // cut off: either
              figures.interrupted++;
            }
          } finally {
            busy.delete(id);
          }
        }
      };

      const clients = Array.from({ length: options.clients ?? 4 }, client);
      await new Promise((r) => setTimeout(r, minKill + random() * (maxKill - minKill)));
      service.proc.kill('SIGKILL');
      figures.kills++;
      alive = false;
      await Promise.all(clients);
      const killed = service.proc;
      if (killed.exitCode === null && killed.signalCode === null) await new Promise((r) => killed.once('exit', r));
      service = await serve(dataDir, accounts);
      await verify(service.url, round);
      log(`round ${round}: ${figures.acknowledged} acknowledged, ${figures.interrupted} interrupted, ${figures.lost} lost, ${figures.broken} broken`);
    }
  } finally {
    service.proc.kill('SIGTERM');
    await new Promise((r) => (service.proc.exitCode !== null ? r(null) : service.proc.once('exit', r)));
    await prom.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;

  async function verify(base: string, round: number): Promise<void> {
    const problem = (line: string) => figures.problems.push(`round ${round}: ${line}`);
    for (const [id, expected] of model) {
      const r = await call(base, 'GET', `/canaryConfig/${id}`);
      const actual: Body | 'absent' | undefined = r.status === 404 ? 'absent' : r.status === 200 ? r.json : undefined;
      const match = actual === undefined ? undefined : expected.find((e) => (e === 'absent' ? actual === 'absent' : actual !== 'absent' && same(e, actual)));
      if (match === undefined) {
        const wrong = `config ${id}: read ${r.status} ${actual === 'absent' ? 'absent' : actual ? `"${actual.description}"` : JSON.stringify(r.json)}, expected ${expected.map(describe).join(' or ')}`;
        problem(wrong);
        if (expected.length === 1) figures.lost++;
        else figures.broken++;
        model.set(id, [actual ?? 'absent']);
        continue;
      }
      model.set(id, [match]);
      if (match === 'absent') {
        model.delete(id);
        // Its name must be usable again.
        const name = (expected.find((e) => e !== 'absent') as Body | undefined)?.name;
        if (name) {
          const again = randomUUID();
          const b: Body = { id: again, name, applications: [APP], description: `v${++counter}`, metrics: [metric] };
          const created = await call(base, 'POST', '/canaryConfig', b);
          if (created.status === 200) model.set(again, [b]);
          else {
            figures.stuckNames++;
            problem(`name ${name} of gone config ${id} cannot be used: ${created.status} ${JSON.stringify(created.json)}`);
          }
        }
      }
    }
    const listed = await call(base, 'GET', `/canaryConfig?application=${APP}`);
    for (const s of listed.json as Array<{ id: string }>) {
      const r = await call(base, 'GET', `/canaryConfig/${s.id}`);
      if (r.status !== 200) {
        figures.broken++;
        problem(`listed config ${s.id} answers ${r.status}`);
      }
    }
    for (const id of executions) {
      const r = await call(base, 'GET', `/canary/${id}`);
      if (r.status !== 200 || r.json?.complete !== true) {
        figures.stuckAnalyses++;
        problem(`analysis ${id} answers ${r.status} complete=${r.json?.complete} status=${r.json?.status}`);
      }
    }
    figures.analyses += executions.size;
    executions.clear();
  }
}

// The README's walkthroughs run as written. Every ```sh block is marked either
// `<!-- walkthrough: NAME -->` (run here) or `<!-- not run: REASON -->`; an unmarked one fails.
// The walkthroughs run with `bash -euo pipefail`, one process each, from the repository's root
// as the README says (a scratch copy elsewhere would make npx cache one more copy of the project
// per run), against what the README tells a reader to start: `npm run demo:prometheus`
// (test/support/demo-prometheus.ts, on a free port) and `npx canaria serve --accounts
// examples/accounts.yaml` (the real bin, on a free port, its data in a temp dir). Two rewrites
// of a block, for those ports: the service's address localhost:8090, and examples/accounts.yaml
// (Prometheus on 127.0.0.1:9090) becomes the accounts file the demo prints for its port.
// A walkthrough must not write into the repository.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PORT } from './support/demo-prometheus.ts';
import { describeWithPrometheus, freePort } from './support/prometheus.ts';
import { markdownBlocks, SHELL_LANGS, type CodeBlock } from './support/readme-blocks.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const { blocks, danglingMarkers } = markdownBlocks(README);
const shellBlocks = blocks.filter((b) => SHELL_LANGS.has(b.lang));
const walkthroughs = shellBlocks.filter((b): b is CodeBlock & { marker: { kind: 'walkthrough'; name: string } } => b.marker?.kind === 'walkthrough');

const ULID = /[0-9A-HJKMNP-TV-Z]{26}/;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** What each walkthrough must print besides ending with status 0; a new one is only run. */
const EXPECT: Record<string, (out: string) => void> = {
  configs: (out) => {
    const id = new RegExp(`^stored (${UUID.source})$`, 'm').exec(out)?.[1];
    expect(id, out).toBeDefined();
    expect(out).toContain(`"id":"${id}"`); // listed and fetched
    expect(out).toContain(`"canaryConfigId":"${id}"`); // stored, then replaced
    expect(out.trimEnd().split('\n').at(-1)).toBe('204'); // deleted
  },
  execution: (out) => {
    expect(out).toMatch(new RegExp(`^execution ${ULID.source}$`, 'm'));
    const lines = out.trimEnd().split('\n');
    expect(JSON.parse(lines.at(-3)!)).toMatchObject({ score: 50, classification: 'Fail' });
    expect(JSON.parse(lines.at(-2)!)).toEqual(['latency_identical: Pass', 'latency_worse: High']);
    expect(lines.at(-1)).toBe('204');
  },
  analyze: (out) => {
    expect(out).toMatch(/^Fail: score 50 \(pass 95, marginal 75\)$/m);
    expect(out).toMatch(/^\s*latency_worse\s+High\b/m);
    expect(out).toMatch(/^\s*latency_identical\s+Pass\b/m);
    expect(out.trimEnd().split('\n').at(-1)).toBe('exit status 4');
  },
  judge: (out) => {
    expect(out).toContain('"judgeName":"NetflixACAJudge-v1.0"');
    expect(out).toContain('Usage: canaria judge');
  },
};

describe('README shell blocks', () => {
  it('every shell block is marked as a walkthrough or as not run, and every block names its language', () => {
    const unmarked = shellBlocks.filter((b) => !b.marker).map((b) => `README.md:${b.line}`);
    expect(unmarked, 'put <!-- walkthrough: NAME --> or <!-- not run: REASON --> on the line before').toEqual([]);
    expect(blocks.filter((b) => b.lang === '').map((b) => `README.md:${b.line}`), 'a fence without a language (use ```text for plain text)').toEqual([]);
  });

  it('every marker sits right before a shell block', () => {
    const misplaced = blocks.filter((b) => b.marker && !SHELL_LANGS.has(b.lang)).map((b) => b.line);
    expect([...danglingMarkers, ...misplaced].map((l) => `README.md:${l}`)).toEqual([]);
  });

  it('has the walkthroughs this test checks, each named once', () => {
    const names = walkthroughs.map((b) => b.marker.name);
    expect(new Set(names).size, names.join(', ')).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(Object.keys(EXPECT)));
  });

  it('starts with the two commands to run and to test', () => {
    expect(blocks[0].code.split('\n').slice(0, 2).map((l) => l.replace(/\s+#.*$/, ''))).toEqual(['npm ci && npm start', 'npm test']);
  });

  it('points the demo at the Prometheus of examples/accounts.yaml, through an npm script', () => {
    expect(readFileSync(join(ROOT, 'examples/accounts.yaml'), 'utf8')).toMatch(new RegExp(`endpoint: http://127\\.0\\.0\\.1:${DEMO_PORT}\\s`));
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts['demo:prometheus']).toBe('node test/support/demo-prometheus.ts');
  });
});

interface Proc {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const procs = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of procs) p.kill('SIGKILL');
});

/** Spawns node SCRIPT ARGS; resolves once stdout matches `ready` (rejects if it exits first or after 30 s). */
async function start(args: string[], cwd: string, ready: RegExp): Promise<Proc & { match: RegExpExecArray }> {
  const proc = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.add(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      procs.delete(proc);
      resolve({ code, signal });
    }),
  );
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')}: not ready after 30 s\n${out}\n${err}`)), 30_000);
    const check = () => {
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    proc.stdout!.on('data', check);
    void exit.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited (${code ?? signal}) before it was ready\n${out}\n${err}`));
    });
  });
  return { proc, out: () => out, err: () => err, exit, match };
}

/** bash -euo pipefail -c SCRIPT in `cwd`: exit status and both outputs. */
function bash(script: string, cwd: string, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.add(p);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      procs.delete(p);
      resolve({ code, stdout, stderr });
    });
  });
}

describeWithPrometheus('README walkthroughs, run against npm run demo:prometheus and canaria serve', () => {
  let dir: string;
  let demo: Proc & { match: RegExpExecArray };
  let serve: Proc & { match: RegExpExecArray };
  let service: string; // host:port
  let accounts: string; // the demo's accounts file

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canaria-readme-'));
    const port = await freePort();
    demo = await start([join(ROOT, 'test/support/demo-prometheus.ts'), '--port', String(port)], ROOT, /npx canaria serve --accounts (\S+)\n/);
    expect(demo.out()).toContain(`Prometheus on http://127.0.0.1:${port} `);
    // On another port than examples/accounts.yaml's, the demo prints an accounts file for its own.
    accounts = demo.match[1];
    expect(readFileSync(accounts, 'utf8')).toContain(`endpoint: http://127.0.0.1:${port}`);

    serve = await start([join(ROOT, 'bin/canaria.js'), 'serve', '--port', '0', '--data-dir', join(dir, 'data'), '--accounts', accounts], ROOT, /^canaria listening on http:\/\/(127\.0\.0\.1:\d+)$/m);
    service = serve.match[1];
  }, 60_000);

  afterAll(async () => {
    for (const p of [serve, demo]) if (p && p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGTERM');
    const [served, demoed] = await Promise.all([serve?.exit, demo?.exit]);
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(served?.code, serve?.err()).toBe(0);
    // The demo stops Prometheus and removes its data on SIGTERM.
    expect(demoed?.code, demo?.err()).toBe(0);
    expect(demo?.out()).toContain('stopping Prometheus');
    if (accounts) expect(existsSync(accounts)).toBe(false);
  }, 30_000);

  it('the demo prints the series it serves and their sides', () => {
    for (const name of ['latency_identical', 'latency_worse', 'latency_marginal', 'http_requests_total']) expect(demo.out()).toMatch(new RegExp(`^  ${name} .*version="baseline"\\|"canary"`, 'm'));
  });

  for (const block of walkthroughs) {
    it(`walkthrough "${block.marker.name}" (README.md:${block.line})`, async () => {
      const script = block.code.replaceAll('localhost:8090', service).replaceAll('127.0.0.1:8090', service).replaceAll('examples/accounts.yaml', accounts);
      const r = await bash(script, ROOT, 25_000);
      expect(r.code, `exit status ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n--- serve stderr\n${serve.err().slice(-2000)}`).toBe(0);
      EXPECT[block.marker.name]?.(r.stdout);
    }, 30_000);
  }
});

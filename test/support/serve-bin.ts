// `canaria serve` as a child process, without vitest: for the test/local suites (through
// test/local/serve-process.ts), the auth CLI tests and the crash rounds (test/support/chaos.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/canaria.js', import.meta.url));

export interface Served {
  /** http://127.0.0.1:PORT, whatever host it listens on (0.0.0.0 included). */
  url: string;
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with stderr once it matches `pattern` (rejects after `timeoutMs`). */
  waitForStderr: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
}

/** Spawns `canaria ARGS` with piped output. */
export function spawnCanaria(args: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts `canaria serve --port 0 ARGS` (spawned by `spawnFn`) and resolves once it prints the ready line. */
export function startServe(args: string[], spawnFn: (args: string[]) => ChildProcess = spawnCanaria): Promise<Served> {
  const proc = spawnFn(['serve', '--port', '0', ...args]);
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  proc.stderr!.on('data', (d) => {
    err += d;
    for (const w of waiters) w();
  });
  const waitForStderr = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(err)) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(err);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`stderr never matched ${pattern}:\n${err}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /^canaria listening on http:\/\/\S+:(\d+)$/m.exec(out);
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}`, proc, stdout: () => out, stderr: () => err, waitForStderr });
    });
    proc.on('exit', (code, signal) => reject(new Error(`canaria serve ended (${code ?? signal}) before it was ready: ${err}`)));
  });
}

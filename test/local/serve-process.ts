// `canaria serve` as a child process for the test/local suites.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach } from 'vitest';

export const BIN = fileURLToPath(new URL('../../bin/canaria.js', import.meta.url));

export interface Served {
  url: string;
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with stderr once it matches `pattern` (rejects after `timeoutMs`). */
  waitForStderr: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
}

/** Processes started by the calling suite, killed after each test (or, with 'all', after the suite). */
export function useProcesses(killAfter: 'each' | 'all' = 'each') {
  const running = new Set<ChildProcess>();
  (killAfter === 'each' ? afterEach : afterAll)(() => {
    for (const p of running) p.kill('SIGKILL');
    running.clear();
  });

  /** Spawns `canaria ARGS`, tracked for cleanup. */
  function spawnCanaria(args: string[]): ChildProcess {
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(proc);
    return proc;
  }

  /** Starts `canaria serve --port 0 ARGS` and resolves once it prints the ready line. */
  function serve(args: string[]): Promise<Served> {
    const proc = spawnCanaria(['serve', '--port', '0', ...args]);
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
        const m = /^canaria listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
        if (m) resolve({ url: m[1], proc, stdout: () => out, stderr: () => err, waitForStderr });
      });
      proc.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
  }

  return { serve, spawnCanaria };
}

/** The exit code, or the signal that ended the process. */
export function exit(proc: ChildProcess): Promise<number | string | null> {
  return new Promise((resolve) =>
    proc.exitCode !== null || proc.signalCode !== null
      ? resolve(proc.exitCode ?? proc.signalCode)
      : proc.on('exit', (code, signal) => resolve(code ?? signal)),
  );
}

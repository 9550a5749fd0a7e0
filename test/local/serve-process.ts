// `canaria serve` as a child process for the test/local suites.
import type { ChildProcess } from 'node:child_process';
import { spawnCanaria as spawnBin, startServe, type Served } from '../support/serve-bin.ts';
import { afterAll, afterEach } from 'vitest';

export { BIN, type Served } from '../support/serve-bin.ts';

/** Processes started by the calling suite, killed after each test (or, with 'all', after the suite). */
export function useProcesses(killAfter: 'each' | 'all' = 'each') {
  const running = new Set<ChildProcess>();
  (killAfter === 'each' ? afterEach : afterAll)(() => {
    for (const p of running) p.kill('SIGKILL');
    running.clear();
  });

  /** Spawns `canaria ARGS`, tracked for cleanup. */
  function spawnCanaria(args: string[]): ChildProcess {
    const proc = spawnBin(args);
    running.add(proc);
    return proc;
  }

  /** Starts `canaria serve --port 0 ARGS` and resolves once it prints the ready line. */
  const serve = (args: string[]): Promise<Served> => startServe(args, spawnCanaria);

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

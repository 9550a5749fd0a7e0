import { spawnSync } from 'node:child_process';
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Runs `serverless package` on serverless.yml exactly as `npm run package` does (osls +
// serverless-esbuild), offline and without AWS credentials, into a directory of the caller's.

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const oslsBin = join(dirname(createRequire(import.meta.url).resolve('osls/package.json')), 'bin', 'serverless.js');

export interface PackageRun {
  /** The exit code (null if killed). */
  status: number | null;
  /** stdout and stderr together. */
  output: string;
}

/** `serverless package --stage test --package outDir` with CANARIA_ACCOUNTS set to `accounts` (unset if undefined). */
export function packageStack(outDir: string, accounts: string | undefined): PackageRun {
  const env = { ...process.env };
  // No AWS credentials: packaging must work offline for anyone.
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'CANARIA_ACCOUNTS']) delete env[k];
  if (accounts !== undefined) env.CANARIA_ACCOUNTS = accounts;
  return withPackageLock(() => {
    const res = spawnSync(process.execPath, [oslsBin, 'package', '--stage', 'test', '--package', outDir], {
      cwd: repoRoot,
      env,
      encoding: 'utf8',
      timeout: 170_000,
    });
    return { status: res.status, output: `${res.stdout ?? ''}\n${res.stderr ?? ''}${res.error ? `\n${res.error.message}` : ''}` };
  });
}

/**
 * serverless-esbuild builds in .esbuild/ of the repository whatever --package says, so two
 * runs at once (test files run in parallel) would overwrite each other's bundles: one at a time.
 */
function withPackageLock<T>(run: () => T): T {
  const lock = join(tmpdir(), `canaria-package-${Buffer.from(repoRoot).toString('base64url').slice(-40)}.lock`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock older than any run is left over from a killed one.
      if (Date.now() - lockTime(lock) > 200_000) removeLock(lock);
      if (Date.now() > deadline) throw new Error(`another serverless package run holds ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    return run();
  } finally {
    removeLock(lock);
  }
}

function removeLock(lock: string): void {
  try {
    rmdirSync(lock);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function lockTime(lock: string): number {
  try {
    return statSync(lock).mtimeMs;
  } catch {
    return Date.now();
  }
}

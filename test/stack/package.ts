import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/**
 * `serverless package --stage test --package outDir` with CANARIA_ACCOUNTS set to `accounts`
 * (unset if undefined), and `--param name=value` for each of `params`.
 */
export function packageStack(outDir: string, accounts: string | undefined, params: Record<string, string> = {}): PackageRun {
  return withPackageLock(() => runPackage(outDir, accounts, params));
}

function runPackage(outDir: string, accounts: string | undefined, params: Record<string, string> = {}): PackageRun {
  const env = { ...process.env };
  // No AWS credentials: packaging must work offline for anyone.
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'CANARIA_ACCOUNTS']) delete env[k];
  if (accounts !== undefined) env.CANARIA_ACCOUNTS = accounts;
  const res = spawnSync(process.execPath, [oslsBin, 'package', '--stage', 'test', '--package', outDir, ...Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`])], {
    cwd: repoRoot,
    env,
    encoding: 'utf8',
    timeout: 170_000,
  });
  return { status: res.status, output: `${res.stdout ?? ''}\n${res.stderr ?? ''}${res.error ? `\n${res.error.message}` : ''}` };
}

/**
 * The accounts the stack tests package with: a valid file, multi-line YAML as
 * `CANARIA_ACCOUNTS="$(cat accounts.yaml)"` passes it (accounts.test.ts runs the failing cases).
 */
export const TEST_ACCOUNTS = [
  'accounts:',
  '  - {name: prometheus, type: prometheus, endpoint: https://prometheus.example.com}',
  '  - {name: cloudwatch, type: cloudwatch, region: eu-west-1}',
].join('\n');

export interface PackagedStack {
  /** The directory holding the template and the zips. */
  dir: string;
  /** The CloudFormation template (cloudformation-template-update-stack.json). */
  template: any;
  /** What `serverless package` printed. */
  output: string;
}

/** What a package depends on: the stack, the plugin, the code, the lockfile (and so every tool's version). */
const PACKAGE_INPUTS = ['serverless.yml', 'serverless-accounts.cjs', 'package.json', 'package-lock.json', 'tsconfig.json', 'functions', 'lib'];

function inputsHash(accounts: string | undefined): string {
  const hash = createHash('sha256').update(JSON.stringify({ accounts: accounts ?? null }));
  const add = (rel: string) => {
    const abs = join(repoRoot, rel);
    if (!existsSync(abs)) return;
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).sort()) add(join(rel, name));
      return;
    }
    hash.update(`\0${rel}\0`).update(readFileSync(abs));
  };
  for (const rel of PACKAGE_INPUTS) add(rel);
  return hash.digest('hex').slice(0, 16);
}

/**
 * The stack packaged with CANARIA_ACCOUNTS = `accounts`, once for all the test files that want
 * it: the result is kept under the system's temporary directory, keyed by a hash of every input
 * of the package (PACKAGE_INPUTS), and reused while none of them changes.
 */
export function packagedStack(accounts: string | undefined): PackagedStack {
  const root = join(tmpdir(), `canaria-stack-${Buffer.from(repoRoot).toString('base64url').slice(-40)}`);
  const key = inputsHash(accounts);
  const dir = join(root, key);
  const load = (): PackagedStack => ({
    dir,
    template: JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')),
    output: readFileSync(join(dir, 'package-output.txt'), 'utf8'),
  });
  if (existsSync(join(dir, 'package-output.txt'))) return load();
  return withPackageLock(() => {
    if (existsSync(join(dir, 'package-output.txt'))) return load();
    mkdirSync(root, { recursive: true });
    // Only the newest package is kept.
    for (const old of readdirSync(root)) rmSync(join(root, old), { recursive: true, force: true });
    const work = `${dir}.partial`;
    const res = runPackage(work, accounts);
    if (res.status !== 0) throw new Error(`serverless package failed (exit ${res.status}):\n${res.output}`.trim());
    writeFileSync(join(work, 'package-output.txt'), res.output);
    renameSync(work, dir);
    return load();
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

// Cold-start benchmark of the Lambda bundles: the zips `serverless package` writes (packaged here,
// or reused while no input of the package changed: test/stack/package.ts), each function's zip
// unzipped on its own, and its handler module imported in a fresh node process, as Lambda's
// INIT phase does, with the environment the template gives it. Each round starts a bare
// `node -e 0` too, the reference measured in the same run.
//
// Prints, per function: zip size, bundle and source-map size, the AWS SDK packages bundled, the
// import's own time (measured inside the process, median) and the process's wall time less the
// bare node's (median), against the goal (150 ms for judge and configs, 300 ms for the others).
//
// More references, bundled here with serverless.yml's esbuild settings: the AWS SDK's S3 client
// alone, its DynamoDB document client alone, and both (each constructed, as the stores do): the
// floor of any function that uses them.
//
// Run with `npm run bench:coldstart`. BENCH_COLDSTART_RUNS sets the rounds (default 9).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { parseDocument } from 'yaml';
import { resolveEnvironment, unpackFunctions } from '../test/stack/lambdas.ts';
import { packagedStack, repoRoot, TEST_ACCOUNTS, type PackagedStack } from '../test/stack/package.ts';
import { readZip } from '../test/stack/zip.ts';

const RUNS = Number(process.env.BENCH_COLDSTART_RUNS ?? 9);
/** Goals in ms for the import; functions not named: the default. */
const GOALS: Record<string, number> = { judge: 150, configs: 150 };
const DEFAULT_GOAL = 300;

/** Values CloudFormation fills in at deploy time, for the functions' environment here (parameters take their Default). */
const DEPLOY_TIME: Record<string, string> = {
  CanariaBucket: 'canaria-bench-bucket',
  CanariaTable: 'canaria-bench-table',
  CanaryAnalysis: 'arn:aws:states:us-east-1:123456789012:stateMachine:canaria-bench',
  StandaloneAnalysis: 'arn:aws:states:us-east-1:123456789012:stateMachine:canaria-bench-standalone',
};

interface Bundle {
  fn: string;
  zipBytes: number;
  codeBytes: number;
  mapBytes: number;
  sdk: string[];
  dir: string;
  entry: string;
  env: Record<string, string>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** Each function's zip unzipped on its own (test/stack/lambdas.ts), with its sizes and the SDK packages its source map names. */
function unpack(stack: PackagedStack, work: string): Bundle[] {
  return unpackFunctions(stack, work).map((f) => {
    const zipPath = join(stack.dir, `${f.name}.zip`);
    let codeBytes = 0;
    let mapBytes = 0;
    let sdk: string[] = [];
    for (const e of readZip(zipPath)) {
      if (/\.[cm]?js$/.test(e.name)) codeBytes += e.size;
      if (e.name.endsWith('.map')) {
        mapBytes += e.size;
        const sources: string[] = JSON.parse(e.read().toString('utf8')).sources;
        sdk = [...new Set(sources.map((x) => /node_modules\/(@aws-sdk\/[^/]+)\//.exec(x)?.[1]).filter((x): x is string => !!x))].sort();
      }
    }
    return { fn: f.name, zipBytes: statSync(zipPath).size, codeBytes, mapBytes, sdk, dir: dirname(f.file), entry: f.file, env: resolveEnvironment(f, stack.template, DEPLOY_TIME) };
  });
}

/** Floors: an SDK client alone, bundled with the stack's esbuild settings (serverless.yml custom.esbuild). */
const FLOORS: Record<string, string> = {
  '(S3 client alone)': "import { S3Client, GetObjectCommand } from '@aws-sdk/client-s3'; export const client = new S3Client({}); export const command = GetObjectCommand;",
  '(DynamoDB alone)':
    "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb'; export const client = DynamoDBDocumentClient.from(new DynamoDBClient({})); export const command = GetCommand;",
  // What a function with both stores (configs, the record tasks) starts from.
  '(S3 + DynamoDB)':
    "import { S3Client, GetObjectCommand } from '@aws-sdk/client-s3'; import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb'; export const s3 = new S3Client({}); export const client = DynamoDBDocumentClient.from(new DynamoDBClient({})); export const commands = [GetObjectCommand, GetCommand];",
};

async function floors(work: string): Promise<Bundle[]> {
  const settings = parseDocument(readFileSync(join(repoRoot, 'serverless.yml'), 'utf8')).toJS().custom.esbuild;
  // serverless-esbuild's own settings are not esbuild's.
  const { exclude, packager, outputFileExtension, plugins, ...options } = settings as Record<string, unknown> & { exclude?: string[]; outputFileExtension: string; plugins?: string };
  void packager;
  // serverless-esbuild's `plugins` names a module exporting them; paths (alias) are the service directory's.
  const loaded = plugins ? createRequire(import.meta.url)(join(repoRoot, plugins)) : [];
  const out: Bundle[] = [];
  for (const [fn, contents] of Object.entries(FLOORS)) {
    const dir = join(work, fn.replace(/\W+/g, '-'));
    const entry = join(dir, `floor${outputFileExtension}`);
    await build({ ...(options as BuildOptions), plugins: loaded, absWorkingDir: repoRoot, external: exclude, stdin: { contents, resolveDir: repoRoot, loader: 'ts' }, outfile: entry, logLevel: 'error' });
    out.push({ fn, zipBytes: 0, codeBytes: statSync(entry).size, mapBytes: existsSync(`${entry}.map`) ? statSync(`${entry}.map`).size : 0, sdk: [], dir, entry, env: {} });
  }
  return out;
}

/** A fresh node: the wall time of the process, and the import's own time measured inside it. */
function run(bundle: Bundle | undefined): { wall: number; importMs: number } {
  // As Lambda's Node.js runtime loads a handler: require() for CommonJS (.cjs, .js), import() for .mjs.
  const esm = bundle?.entry.endsWith('.mjs');
  const script = !bundle
    ? '0'
    : esm
      ? `const t=performance.now();await import(${JSON.stringify(pathToFileURL(bundle.entry).href)});process.stdout.write(String(performance.now()-t))`
      : `const t=performance.now();require(${JSON.stringify(bundle.entry)});process.stdout.write(String(performance.now()-t))`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    // Never real credentials: nothing is sent, and nothing may be.
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    ...(bundle?.env ?? {}),
  };
  // NODE_OPTIONS as the template sets it (--enable-source-maps), as an argument: Lambda applies it.
  const options = bundle?.env.NODE_OPTIONS?.split(/\s+/).filter(Boolean) ?? [];
  delete env.NODE_OPTIONS;
  const args = !bundle ? ['-e', script] : esm ? [...options, '--input-type=module', '-e', script] : [...options, '-e', script];
  const t = performance.now();
  const res = spawnSync(process.execPath, args, { env, encoding: 'utf8', cwd: bundle?.dir ?? tmpdir() });
  const wall = performance.now() - t;
  if (res.status !== 0) throw new Error(`${bundle?.fn ?? 'node -e 0'} failed (exit ${res.status}):\n${res.stderr.slice(-3000)}`);
  return { wall, importMs: bundle ? Number(res.stdout) : 0 };
}

async function main(): Promise<void> {
  const started = performance.now();
  const stack = packagedStack(TEST_ACCOUNTS);
  const packaged = performance.now() - started;
  const work = mkdtempSync(join(tmpdir(), 'canaria-coldstart-'));
  try {
    const bundles = [...unpack(stack, work), ...(await floors(work))];
    const wall = new Map<string, number[]>();
    const imports = new Map<string, number[]>();
    const reference: number[] = [];
    // Warm the disk cache (and node's own code cache) once; then interleaved rounds.
    run(undefined);
    for (const b of bundles) run(b);
    for (let round = 0; round < RUNS; round++) {
      reference.push(run(undefined).wall);
      for (const b of bundles) {
        const r = run(b);
        wall.set(b.fn, [...(wall.get(b.fn) ?? []), r.wall]);
        imports.set(b.fn, [...(imports.get(b.fn) ?? []), r.importMs]);
      }
    }
    const nodeMs = median(reference);
    console.log(`canaria cold start: ${bundles.length} Lambda bundles, ${RUNS} rounds, node ${process.version} on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} CPUs)`);
    console.log(`package: ${packaged > 1000 ? `serverless package, ${(packaged / 1000).toFixed(1)} s` : 'reused (inputs unchanged)'}, ${stack.dir}`);
    console.log(`reference: node -e 0 median ${ms(nodeMs)} (min ${ms(Math.min(...reference))}, max ${ms(Math.max(...reference))})\n`);
    const rows = bundles.map((b) => {
      const imp = median(imports.get(b.fn)!);
      const extra = median(wall.get(b.fn)!) - nodeMs;
      const floor = b.fn.startsWith('(');
      const goal = GOALS[b.fn] ?? DEFAULT_GOAL;
      return {
        function: b.fn,
        zip: floor ? '-' : kb(b.zipBytes),
        bundle: kb(b.codeBytes),
        map: kb(b.mapBytes),
        'import (median)': ms(imp),
        'import (min-max)': `${Math.min(...imports.get(b.fn)!).toFixed(1)}-${Math.max(...imports.get(b.fn)!).toFixed(1)}`,
        'process - node -e 0': ms(extra),
        'x node startup': (imp / nodeMs).toFixed(2),
        goal: floor ? '-' : `${goal} ms`,
        met: floor ? '-' : imp <= goal ? 'yes' : 'NO',
      };
    });
    console.table(rows);
    console.log('\nAWS SDK packages in each bundle:');
    for (const b of bundles.filter((x) => !x.fn.startsWith('('))) console.log(`  ${b.fn.padEnd(14)} ${b.sdk.length > 0 ? b.sdk.map((s) => s.replace('@aws-sdk/', '')).join(', ') : '(none)'}`);
    console.log(
      '\nimport: time of require() of the handler module (import() for an ES module) in a fresh node: the INIT work of the ' +
        'module (bundle parse, module init, clients and accounts), with the environment the template sets. ' +
        '"process - node -e 0": that process\'s wall time less the bare node\'s, medians. Rows in parentheses: floors ' +
        'bundled in this run with the same esbuild settings.',
    );
    const missed = rows.filter((r) => r.met === 'NO');
    if (missed.length > 0) console.log(`goal missed by: ${missed.map((r) => `${r.function} (${r['import (median)']})`).join(', ')}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();

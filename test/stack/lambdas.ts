// The Lambda functions of the packaged template, run from their zips: each function's zip is
// unzipped on its own, and its handler (the bundle, not the sources) runs in a process of its own
// (test/stack/lambda-runtime.ts) with the environment the template gives it, its references to
// the stack's resources replaced by the values a test chooses (as CloudFormation would fill them).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PackagedStack } from './package.ts';
import type { Json } from './template.ts';
import { readZip } from './zip.ts';

const RUNTIME = fileURLToPath(new URL('./lambda-runtime.ts', import.meta.url));

export interface PackagedFunction {
  /** The template's logical id (`ConfigsLambdaFunction`). */
  id: string;
  /** The function's key in serverless.yml, its zip's name (`configs`). */
  name: string;
  /** FunctionName (`canaria-test-configs`). */
  functionName: string;
  /** Handler (`functions/http/canary-config.handler`). */
  handler: string;
  /** The unzipped module the handler names, and its export. */
  file: string;
  exportName: string;
  /** Environment.Variables as the template has them (strings, or intrinsics). */
  environment: Record<string, Json>;
  timeoutSeconds: number;
  memorySize: number;
}

/** Every AWS::Lambda::Function of the packaged stack, its zip unzipped under `into`/<name>. */
export function unpackFunctions(stack: PackagedStack, into: string): PackagedFunction[] {
  const out: PackagedFunction[] = [];
  for (const [id, r] of Object.entries<Json>(stack.template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const p = r.Properties;
    const name = String(p.Code.S3Key).split('/').pop()!.replace(/\.zip$/, '');
    const dir = join(into, name);
    for (const e of readZip(join(stack.dir, `${name}.zip`))) {
      const path = join(dir, e.name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, e.read());
    }
    const handler: string = p.Handler;
    const base = handler.slice(0, handler.lastIndexOf('.'));
    // The Node.js runtime's lookup: the module by the handler's path with .js, .mjs or .cjs.
    const file = ['.js', '.mjs', '.cjs'].map((ext) => join(dir, base + ext)).find((f) => existsSync(f));
    if (!file) throw new Error(`${name}.zip holds no module for handler ${handler}`);
    out.push({
      id,
      name,
      functionName: p.FunctionName,
      handler,
      file,
      exportName: handler.slice(handler.lastIndexOf('.') + 1),
      environment: p.Environment?.Variables ?? {},
      timeoutSeconds: p.Timeout ?? 6,
      memorySize: p.MemorySize ?? 1024,
    });
  }
  return out;
}

/**
 * A function's environment with each `{Ref: X}` replaced by `refs[X]` (what CloudFormation would
 * put there for a resource), or, for a parameter of the template, by its Default (a deploy that
 * leaves it be); any other intrinsic, or a reference not given, is an error.
 */
export function resolveEnvironment(fn: PackagedFunction, template: Json, refs: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  const parameters: Record<string, Json> = template.Parameters ?? {};
  for (const [k, v] of Object.entries(fn.environment)) {
    const ref = v && typeof v === 'object' && typeof v.Ref === 'string' ? (v.Ref as string) : undefined;
    if (typeof v === 'string') env[k] = v;
    else if (ref !== undefined && ref in refs) env[k] = refs[ref];
    else if (ref !== undefined && parameters[ref]?.Default !== undefined) env[k] = String(parameters[ref].Default);
    else throw new Error(`${fn.name}: ${k} is ${JSON.stringify(v)}, which this test cannot resolve`);
  }
  return env;
}

/** A failed invocation, as the Lambda service reports it. */
export class LambdaFunctionError extends Error {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: string[];
  constructor(fn: string, error: { errorType: string; errorMessage: string; trace?: string[] }) {
    super(`${fn}: ${error.errorType}: ${error.errorMessage}`);
    this.name = 'LambdaFunctionError';
    this.errorType = error.errorType;
    this.errorMessage = error.errorMessage;
    this.trace = error.trace ?? [];
  }
}

type Reply = { type: 'ready'; initMs: number } | { type: 'initError'; error: { errorType: string; errorMessage: string; trace: string[] } } | { type: 'result'; id: number; payload: string } | { type: 'error'; id: number; error: { errorType: string; errorMessage: string; trace: string[] } };

/**
 * One function, run from its bundle in a process of its own (one warm instance; invocations may
 * overlap in it, where Lambda would start more instances). Its output is kept for messages.
 */
export class LambdaFunction {
  readonly fn: PackagedFunction;
  private readonly env: Record<string, string>;
  private child: ChildProcess | undefined;
  private ready: Promise<number> | undefined;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private nextId = 1;
  private output = '';
  /** Invocations so far, and the INIT time of each instance started (ms). */
  invocations = 0;
  readonly initMs: number[] = [];

  /** `env`: the process's whole environment, AWS settings and the function's variables together. */
  constructor(fn: PackagedFunction, env: Record<string, string>) {
    this.fn = fn;
    this.env = env;
  }

  /** Starts an instance (its INIT: loading the bundle) unless one runs; resolves with its INIT time. */
  start(): Promise<number> {
    if (this.ready) return this.ready;
    const child = spawn(process.execPath, [RUNTIME, this.fn.file, this.fn.exportName, this.fn.functionName, String(this.fn.timeoutSeconds)], {
      cwd: dirname(this.fn.file),
      env: {
        ...this.env,
        AWS_LAMBDA_FUNCTION_NAME: this.fn.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.fn.memorySize),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        LAMBDA_TASK_ROOT: dirname(this.fn.file),
        TZ: 'UTC',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.ready = new Promise<number>((resolve, reject) => {
      child.on('message', (m: Reply) => {
        if (m.type === 'ready') {
          this.initMs.push(m.initMs);
          resolve(m.initMs);
        } else if (m.type === 'initError') reject(new LambdaFunctionError(this.fn.name, m.error));
        else this.settle(m);
      });
      child.on('exit', (code, signal) => {
        const err = new Error(`${this.fn.name}: the instance exited (${signal ?? code}) ${this.output ? `; its output:\n${this.output}` : ''}`);
        reject(err);
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(err);
        }
        this.pending.clear();
        if (this.child === child) {
          this.child = undefined;
          this.ready = undefined;
        }
      });
    });
    return this.ready;
  }

  private settle(m: Extract<Reply, { id: number }>): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.type === 'result') p.resolve(JSON.parse(m.payload));
    else p.reject(new LambdaFunctionError(this.fn.name, m.error));
  }

  /**
   * Invokes the function with `event` (a JSON round trip, as the service makes): its result, or
   * a LambdaFunctionError. Past the function's timeout the instance is stopped (Lambda ends the
   * sandbox) and the invocation fails with Sandbox.Timedout.
   */
  async invoke(event: unknown): Promise<unknown> {
    await this.start();
    const child = this.child!;
    const id = this.nextId++;
    this.invocations++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LambdaFunctionError(this.fn.name, { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${this.fn.timeoutSeconds.toFixed(2)} seconds` }));
        child.kill('SIGKILL');
      }, this.fn.timeoutSeconds * 1000);
      this.pending.set(id, { resolve, reject, timer });
      child.send({ type: 'invoke', id, event: JSON.parse(JSON.stringify(event)) });
    });
  }

  /** What the instances printed (the function's log), last 20,000 characters. */
  log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

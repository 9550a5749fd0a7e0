// A stand-in for the Lambda Node.js runtime, one process per function instance (started by
// test/stack/lambdas.ts): it loads the unzipped bundle's handler module as the runtime does
// (require() for CommonJS, import() for an ES module) with the function's environment, then runs
// invocations the parent sends over IPC and answers as the Lambda service would: the result as
// JSON (undefined is null), or a thrown error as {errorType, errorMessage, trace}.
//
//   node test/stack/lambda-runtime.ts <module file> <export name> <function name> <timeout seconds>
//
// Messages: {type:'ready', initMs} | {type:'initError', error} once; then, for each
// {type:'invoke', id, event}: {type:'result', id, payload} | {type:'error', id, error}.
// The handler sees a Lambda context (getRemainingTimeInMillis counts down from the timeout).
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}
type Message = { type: 'invoke'; id: number; event: unknown };
type Handler = (event: unknown, context: unknown) => unknown;

const [file, exportName, functionName, timeoutText] = process.argv.slice(2);
const timeoutMs = Number(timeoutText) * 1000;
const send = (message: unknown) => process.send!(message);

/** The error as the Lambda runtime reports it (errorType is the error's name). */
function lambdaError(err: unknown): LambdaError {
  if (err instanceof Error) return { errorType: err.name || 'Error', errorMessage: err.message, trace: (err.stack ?? '').split('\n') };
  return { errorType: 'Error', errorMessage: String(err), trace: [] };
}

function context(deadline: number) {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'artifact-test',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

async function load(): Promise<Handler> {
  const mod: Record<string, unknown> = file.endsWith('.mjs') ? await import(pathToFileURL(file).href) : createRequire(file)(file);
  const handler = mod[exportName];
  if (typeof handler !== 'function') throw new Error(`${file} exports no function ${exportName}`);
  return handler as Handler;
}

// The sandbox ends with its parent (a test that stops or dies).
process.on('disconnect', () => process.exit());

const started = performance.now();
load().then(
  (handler) => {
    send({ type: 'ready', initMs: performance.now() - started });
    process.on('message', (message: Message) => {
      if (message.type !== 'invoke') return;
      const { id, event } = message;
      Promise.resolve()
        .then(() => handler(event, context(Date.now() + timeoutMs)))
        .then(
          // The service serializes the result: what JSON cannot hold is lost here too.
          (result) => send({ type: 'result', id, payload: JSON.stringify(result ?? null) }),
          (err: unknown) => send({ type: 'error', id, error: lambdaError(err) }),
        );
    });
  },
  (err: unknown) => {
    send({ type: 'initError', error: lambdaError(err) });
    process.exitCode = 1;
    process.disconnect?.();
  },
);

// The packaged template's state machine, run in the embedded runtime (aws-local-stepfunctions):
// its Definition with the DefinitionSubstitutions made (each Lambda ARN as CloudFormation would
// write it), each Task state's Resource ARN mapped to the function of the template it names, run
// from its bundle (test/stack/lambdas.ts). A task's failure reaches the definition's Retry and
// Catch as Step Functions reports a Lambda failure: Error is the errorType, Cause the JSON of
// {errorMessage, errorType, trace}.
//
// A state machine whose definition runs another one (`states:startExecution.sync`, the standalone
// machine's RunLook on the canary machine) gets that one as `nested`: the Task runs the nested
// machine's execution to its end, as Step Functions does, and fails States.TaskFailed if it fails.
//
// stepFunctionsEndpoint() serves StartExecution and StartSyncExecution (AWS JSON 1.0, as
// @aws-sdk/client-sfn speaks it) on 127.0.0.1 for those machines: the canary function's SDK
// reaches it through the standard AWS_ENDPOINT_URL_SFN, exactly as it reaches Step Functions on
// AWS. A StartSyncExecution answers at the execution's end; one whose caller hangs up first is
// noted in `abandoned`, and its execution goes on.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StateMachine } from 'aws-local-stepfunctions';
import { LambdaFunctionError, type LambdaFunction } from './lambdas.ts';
import type { Json } from './template.ts';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

/** The ARN of the template's state machine `resourceId` (what `{Ref: resourceId}` is here). */
export const stateMachineArn = (resourceId: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${resourceId}`;

export interface TemplateStateMachine {
  arn: string;
  /** The definition as deployed: substitutions made. */
  definition: Json;
  /** Task state name → the function its Resource ARN names. */
  tasks: Map<string, LambdaFunction>;
  /** Task state name of a nested execution (startExecution.sync) → the executions it ran, by name. */
  nestedRuns: Map<string, string[]>;
  /** Runs one execution to its end: its output, or its failure thrown. */
  run(input: unknown, name: string): Promise<unknown>;
}

/** Every Task state of a definition, Map and Parallel branches included, by name. */
function taskStates(states: Record<string, Json>, out = new Map<string, Json>()): Map<string, Json> {
  for (const [name, s] of Object.entries(states)) {
    if (out.has(name)) throw new Error(`state name ${name} is used twice`);
    if (s.Type === 'Task') out.set(name, s);
    if (s.Type === 'Map') taskStates((s.ItemProcessor ?? s.Iterator).States, out);
    if (s.Type === 'Parallel') for (const b of s.Branches) taskStates(b.States, out);
  }
  return out;
}

/** The optimized integration that runs another state machine's execution to its end. */
const START_EXECUTION_SYNC = /^arn:aws:states:::states:startExecution\.sync(:2)?$/;

/**
 * The state machine `resourceId` of the template, its tasks run by `functions` (the running
 * functions by logical id) and its nested executions by `nested` (machines of the template).
 * `retryIntervalMs` shortens the definition's Retry intervals (seconds).
 */
export function templateStateMachine(
  template: Json,
  resourceId: string,
  functions: Map<string, LambdaFunction>,
  options: { retryIntervalMs?: number; nested?: TemplateStateMachine[] } = {},
): TemplateStateMachine {
  const resource = template.Resources[resourceId];
  if (resource?.Type !== 'AWS::StepFunctions::StateMachine') throw new Error(`${resourceId} is not a state machine`);
  const { Definition, DefinitionSubstitutions = {} } = resource.Properties;
  const nestedByArn = new Map((options.nested ?? []).map((m) => [m.arn, m]));
  // ${Name} → the ARN of the function the substitution's Fn::GetAtt names, or of the state
  // machine its Ref names.
  const functionOfArn = new Map<string, LambdaFunction>();
  const arns: Record<string, string> = {};
  for (const [name, value] of Object.entries<Json>(DefinitionSubstitutions)) {
    if (typeof value.Ref === 'string') {
      arns[name] = stateMachineArn(value.Ref);
      if (!nestedByArn.has(arns[name])) throw new Error(`substitution ${name}: state machine ${value.Ref} was not given as nested`);
      continue;
    }
    const [id, attribute] = [value['Fn::GetAtt']].flat().join('.').split('.');
    const fn = functions.get(id);
    if (attribute !== 'Arn' || !fn) throw new Error(`substitution ${name}: ${JSON.stringify(value)} is not the Arn of a function started here`);
    arns[name] = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${fn.fn.functionName}`;
    functionOfArn.set(arns[name], fn);
  }
  const definition = JSON.parse(
    JSON.stringify(Definition).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (!(name in arns)) throw new Error(`the definition uses \${${name}}, which has no substitution`);
      return arns[name];
    }),
  );
  const tasks = new Map<string, LambdaFunction>();
  const nestedRuns = new Map<string, string[]>();
  for (const [name, state] of taskStates(definition.States)) {
    if (START_EXECUTION_SYNC.test(state.Resource)) {
      nestedRuns.set(name, []);
      continue;
    }
    const fn = functionOfArn.get(state.Resource);
    if (!fn) throw new Error(`task ${name}: ${state.Resource} is not a function of the template`);
    tasks.set(name, fn);
  }
  const handlers: Record<string, (input: never) => Promise<unknown>> = Object.fromEntries(
    [...tasks].map(([name, fn]) => [
      name,
      (input: unknown) =>
        fn.invoke(input).catch((err: unknown) => {
          if (!(err instanceof LambdaFunctionError)) throw err;
          const failed = new Error(JSON.stringify({ errorMessage: err.errorMessage, errorType: err.errorType, trace: err.trace }));
          failed.name = err.errorType;
          throw failed;
        }),
    ]),
  );
  for (const [name, runs] of nestedRuns) {
    // The Task's Parameters (StateMachineArn, Name, Input); .sync:2's result: the execution's
    // description, its Output as JSON.
    handlers[name] = async (params: { StateMachineArn: string; Name?: string; Input?: unknown }) => {
      const child = nestedByArn.get(params.StateMachineArn);
      if (!child) throw new Error(`task ${name}: StartExecution of ${params.StateMachineArn}, which was not given as nested`);
      const childName = params.Name ?? crypto.randomUUID();
      runs.push(childName);
      const executionArn = `${child.arn.replace(':stateMachine:', ':execution:')}:${childName}`;
      try {
        const output = await child.run(params.Input ?? {}, childName);
        return { ExecutionArn: executionArn, StateMachineArn: child.arn, Name: childName, Status: 'SUCCEEDED', Input: params.Input ?? {}, Output: output };
      } catch (err) {
        const cause = (err as Error).cause as Error | undefined;
        const failed = new Error(JSON.stringify({ ExecutionArn: executionArn, Status: 'FAILED', Error: cause?.name ?? (err as Error).name, Cause: cause?.message ?? (err as Error).message }));
        failed.name = 'States.TaskFailed';
        throw failed;
      }
    };
  }
  const machine = new StateMachine(definition, { validationOptions: { checkArn: true } });
  const arn = stateMachineArn(resourceId);
  return {
    arn,
    definition,
    tasks,
    nestedRuns,
    run(input, name) {
      const execution = machine.run(input as never, {
        overrides: {
          taskResourceLocalHandlers: handlers as never,
          ...(options.retryIntervalMs !== undefined ? { retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((k) => [k, options.retryIntervalMs!])) } : {}),
        },
        context: { Execution: { Name: name, Id: `arn:aws:states:${REGION}:${ACCOUNT}:execution:${resourceId}:${name}`, StartTime: new Date().toISOString() } } as never,
      });
      return execution.result;
    },
  };
}

export interface StepFunctionsEndpoint {
  url: string;
  /** A machine StartExecution starts, by its ARN (added once the functions it runs are known). */
  serve(machine: Pick<TemplateStateMachine, 'arn' | 'run'>): void;
  /** Executions started, by name: their end (output, or the failure). */
  executions: Map<string, Promise<{ output?: unknown; error?: Error }>>;
  /** Every request: its X-Amz-Target, Host header and JSON body. */
  requests: { target: string; host: string; body: Record<string, unknown> }[];
  /** Names of the StartSyncExecution calls whose caller hung up before the answer. */
  abandoned: string[];
  /** Requests that were not a StartExecution or StartSyncExecution of the machine. */
  refused: string[];
  stop(): Promise<void>;
}

const STARTS = ['AWSStepFunctions.StartExecution', 'AWSStepFunctions.StartSyncExecution'];

/**
 * StartExecution and StartSyncExecution on 127.0.0.1 (AWS JSON 1.0) of the machines it serves:
 * the first starts the execution in the background, the second answers at its end.
 */
export async function stepFunctionsEndpoint(): Promise<StepFunctionsEndpoint> {
  const machines = new Map<string, Pick<TemplateStateMachine, 'arn' | 'run'>>();
  const executions = new Map<string, Promise<{ output?: unknown; error?: Error }>>();
  const requests: StepFunctionsEndpoint['requests'] = [];
  const abandoned: string[] = [];
  const refused: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target']);
      let body: { stateMachineArn?: string; name?: string; input?: string };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = {};
      }
      requests.push({ target, host: String(req.headers.host), body });
      if (!STARTS.includes(target)) {
        refused.push(String(target));
        return answer(400, { __type: 'com.amazon.coral.service#UnknownOperationException', message: `${target} is not served here` });
      }
      const machine = machines.get(body.stateMachineArn ?? '');
      if (!machine) {
        refused.push(`StartExecution of ${body.stateMachineArn}`);
        return answer(400, { __type: 'com.amazonaws.swf.service.v2.model#StateMachineDoesNotExist', message: `State Machine Does Not Exist: '${body.stateMachineArn}'` });
      }
      const name = body.name ?? crypto.randomUUID();
      const sync = target === 'AWSStepFunctions.StartSyncExecution';
      // Express executions may share a name; this endpoint keeps one per name (Standard's rule).
      if (executions.has(name)) return answer(400, { __type: 'com.amazonaws.swf.service.v2.model#ExecutionAlreadyExists', message: `Execution Already Exists: '${name}'` });
      const input = body.input === undefined ? {} : JSON.parse(body.input);
      const startDate = Date.now() / 1000;
      const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
      const ended: Promise<{ output?: unknown; error?: Error }> = machine.run(input, name).then(
        (output) => ({ output }),
        (error: Error) => ({ error }),
      );
      executions.set(name, ended);
      if (!sync) return answer(200, { executionArn, startDate });
      res.on('close', () => {
        if (!res.writableFinished) abandoned.push(name);
      });
      void ended.then(({ output, error }) => {
        if (res.destroyed) return;
        const end = error ? { status: 'FAILED', error: error.name, cause: error.message } : { status: 'SUCCEEDED', output: JSON.stringify(output) };
        answer(200, { executionArn, stateMachineArn: machine.arn, name, startDate, stopDate: Date.now() / 1000, input: body.input, ...end });
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve(m) {
      machines.set(m.arn, m);
    },
    executions,
    requests,
    abandoned,
    refused,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// `canaria analyze`: one analysis without a server: the state machine in-process, on temporary
// embedded storage. The CanaryJudgeResult goes to stdout, progress to stderr.
import { randomUUID } from 'node:crypto';
import { ExecutionStore } from '../analysis/executions.ts';
import { createExecution } from '../analysis/start.ts';
import { statusResponse } from '../analysis/status.ts';
import { loadAccountsFile } from '../config/accounts.ts';
import { canaryConfigSchema } from '../config/canary-config.ts';
import { executionRequestSchema } from '../config/execution-request.ts';
import { parseWith, ValidationError } from '../config/validation.ts';
import { ClientError } from '../errors.ts';
import { kayentaJson } from '../json.ts';
import { startEmulators } from '../local/emulators.ts';
import { LocalStateMachine } from '../local/state-machine.ts';
import { MetricAccounts } from '../metrics/sources.ts';
import { createStorage } from '../store/aws-clients.ts';
import { ConfigStore } from '../store/config-store.ts';
import { parseOptions, readJsonInput, UsageError } from './io.ts';

export const ANALYZE_HELP = `Usage: canaria analyze --config FILE --accounts FILE (--request FILE | scope options) [--status]

Runs one canary analysis without a server and prints the CanaryJudgeResult on stdout
(with --status: Kayenta's whole CanaryExecutionStatusResponse). Progress goes to stderr.

  -c, --config FILE          the canary config (Kayenta JSON)
  -a, --accounts FILE        metric back-ends (YAML or JSON, as for canaria serve)
  -r, --request FILE         a CanaryExecutionRequest: {"scopes": {...}, "thresholds": {...}}
Or, for the config's "default" scope:
      --control SCOPE        control scope, e.g. 'version="baseline"'
      --experiment SCOPE     experiment scope, e.g. 'version="canary"'
      --start ISO --end ISO  the window (default: the 60 steps ending now)
      --step SECONDS         default 60
      --location LOCATION    ${'${location}'} in templates
      --pass N --marginal N  score thresholds (default 95 and 75)
  -m, --metrics-account NAME the account to use (default: the first of each query type)
      --status               print the execution status instead of the judge result
  -h, --help                 show this help

Exit status: 0 when the analysis ran (the verdict is in the output); 1 when it ended
terminal (the reason is on stderr); 2 for bad input.
`;

export async function analyzeCommand(args: string[]): Promise<number> {
  const o = parseOptions(args, {
    config: { type: 'string', short: 'c' },
    accounts: { type: 'string', short: 'a' },
    request: { type: 'string', short: 'r' },
    control: { type: 'string' },
    experiment: { type: 'string' },
    start: { type: 'string' },
    end: { type: 'string' },
    step: { type: 'string', default: '60' },
    location: { type: 'string' },
    pass: { type: 'string', default: '95' },
    marginal: { type: 'string', default: '75' },
    'metrics-account': { type: 'string', short: 'm' },
    status: { type: 'boolean' },
  });
  if (!o.config) throw new UsageError('--config FILE is required');
  if (!o.accounts) throw new UsageError('--accounts FILE is required');
  let config;
  let executionRequest;
  let accounts;
  try {
    config = parseWith(canaryConfigSchema, await readJsonInput(o.config), ['canaryConfig']);
    const side = (scope: string | undefined) => ({ scope, location: o.location, start: o.start, end: o.end, step: Number(o.step) });
    const rawRequest = o.request
      ? await readJsonInput(o.request)
      : { scopes: { default: { controlScope: side(o.control), experimentScope: side(o.experiment) } }, thresholds: { pass: Number(o.pass), marginal: Number(o.marginal) } };
    executionRequest = parseWith(executionRequestSchema, rawRequest, ['executionRequest']);
    accounts = new MetricAccounts((await loadAccountsFile(o.accounts)).accounts);
  } catch (err) {
    if (err instanceof ValidationError) throw new UsageError(err.message);
    throw err;
  }

  const emulators = await startEmulators();
  try {
    const storage = createStorage(emulators);
    const executions = new ExecutionStore(storage);
    const deps = { executions, accounts, configs: new ConfigStore(storage), now: Date.now };
    const progress = (line: string) => process.stderr.write(`canaria analyze: ${line}\n`);
    let id: string;
    try {
      id = (await createExecution({ config, canaryConfigId: 'ad-hoc', executionRequest, application: 'cli', metricsAccountName: o['metrics-account'], id: randomUUID() }, deps)).id;
    } catch (err) {
      if (err instanceof ClientError) throw new UsageError(err.message);
      throw err;
    }
    const machine = new LocalStateMachine(deps, {
      onTask: (state, input) => {
        if (state === 'FetchOne') {
          const item = input as { metric: number; side: string };
          progress(`fetching ${item.side} data of '${config.metrics[item.metric].name}'`);
        } else if (state === 'Mix') progress('pairing the series');
        else if (state === 'Judge') progress('judging');
      },
    });
    progress(`${config.metrics.length} metric(s) × control and experiment`);
    await machine.run({ executionId: id }, id).catch(() => undefined);
    const record = await executions.get(id);
    const result = await executions.result(id);
    if (o.status) process.stdout.write(`${kayentaJson(statusResponse(record, await executions.document(id), result), 2)}\n`);
    if (record.status !== 'succeeded' || !result) {
      progress(`terminal in ${record.exception?.operation ?? record.stage}: ${record.exception?.details.error ?? 'unknown error'}`);
      return 1;
    }
    if (!o.status) process.stdout.write(`${kayentaJson(result, 2)}\n`);
    const counts = result.results.reduce<Record<string, number>>((c, r) => ((c[r.classification] = (c[r.classification] ?? 0) + 1), c), {});
    progress(`${result.score.classification} (score ${result.score.score}; ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')})`);
    return 0;
  } finally {
    await emulators.stop();
  }
}

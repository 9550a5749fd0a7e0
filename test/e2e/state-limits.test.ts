// Step Functions' 256 KB payload limit, measured. aws-local-stepfunctions does not enforce the
// limit, so this runs the real definition (functions/canary.asl.yml) with the real tasks against
// a real Prometheus and measures, in UTF-8 bytes of JSON, every state's input and output (the
// runner's event log: what ResultPath merges and Catch keep) and every task's input (after
// Parameters and ItemSelector) and result. The largest must stay under canaria's budget, well
// clear of the uncatchable States.DataLimitExceeded.
import { StateMachine } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ExecutionStore } from '../../lib/analysis/executions.ts';
import { createExecution } from '../../lib/analysis/start.ts';
import { planExecution, STATE_BUDGET_BYTES, STATE_LIMIT_BYTES } from '../../lib/analysis/prepare.ts';
import { taskHandlers, type TaskDeps } from '../../lib/analysis/tasks.ts';
import type { CanaryConfig } from '../../lib/config/canary-config.ts';
import { executionRequestSchema } from '../../lib/config/execution-request.ts';
import { parseWith } from '../../lib/config/validation.ts';
import { loadDefinition } from '../../lib/local/state-machine.ts';
import { MetricAccounts } from '../../lib/metrics/sources.ts';
import { kayentaJson } from '../../lib/json.ts';
import { ConfigStore } from '../../lib/store/config-store.ts';
import { openSqliteStorage, type SqliteStorage } from '../../lib/store/sqlite-storage.ts';
import { describeWithPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { CANARY_DATASET, END, LATENCY, START, STEP } from '../support/prometheus-data.ts';

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
const window = { start: iso(START), end: iso(END), step: STEP };
const executionRequest = {
  scopes: { default: { controlScope: { ...window, scope: 'version="baseline"' }, experimentScope: { ...window, scope: 'version="canary"' } } },
  thresholds: { pass: 95, marginal: 75 },
};
const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v) ?? 'null', 'utf8');
const KiB = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** A metric on the identical-latency series; `label` adds a label of that value to every set. */
function metric(name: string, label?: string) {
  const series = `avg(${LATENCY.identical}{\${scope}})`;
  const query = label === undefined ? series : `label_replace(${series}, "note", "${label}", "", "")`;
  return { name, query: { type: 'prometheus', customInlineTemplate: `PromQL:${query}` }, groups: ['g'], analysisConfigurations: { canary: { direction: 'increase' } } };
}

function config(metrics: ReturnType<typeof metric>[], extra: Record<string, unknown> = {}): CanaryConfig {
  return { name: 'limits', applications: ['shop'], classifier: { groupWeights: { g: 100 } }, metrics, ...extra } as CanaryConfig;
}

/** A config of `targetBytes` bytes of JSON (UTF-8): 20 metrics and a description, partly multi-byte, that fills the rest. */
function configOfBytes(targetBytes: number): CanaryConfig {
  const base = config(Array.from({ length: 20 }, (_, i) => metric(`latency_${i}`)), { description: '' });
  const unit = 'Latence p99 — 東京 et Zürich. ';
  const units = Math.floor((targetBytes - bytes(base)) / Buffer.byteLength(unit));
  const description = unit.repeat(units) + 'x'.repeat(targetBytes - bytes(base) - units * Buffer.byteLength(unit));
  return { ...base, description };
}

interface Measured {
  /** The largest payload of each kind, by where it was seen. */
  sizes: Map<string, number>;
  executionInput: number;
  outcome: 'succeeded' | 'failed';
  error?: unknown;
}

describeWithPrometheus('the state stays under the payload limit', () => {
  let prom: RunningPrometheus;
  let storage: SqliteStorage;
  let deps: TaskDeps;
  const report: string[] = [];

  beforeAll(async () => {
    prom = await startPrometheus([...CANARY_DATASET]);
    storage = openSqliteStorage(':memory:');
    deps = {
      executions: new ExecutionStore(storage),
      configs: new ConfigStore(storage),
      accounts: new MetricAccounts([{ name: 'prom', type: 'prometheus', endpoint: prom.url }]),
      now: Date.now,
    };
  }, 60_000);
  afterAll(async () => {
    await storage?.close();
    await prom?.stop();
    if (report.length > 0) console.log(['largest payload per run (UTF-8 bytes of JSON):', ...report].join('\n'));
  });

  /** The same storage, with one of the object writes failing with a long, awkward message (S3 refusing). */
  function failingStore(method: 'putPairList' | 'putResult', message: string): TaskDeps {
    const executions = new ExecutionStore(storage);
    executions[method] = async () => {
      throw Object.assign(new Error(message), { name: 'S3ServiceException' });
    };
    return { ...deps, executions };
  }

  /** Runs the definition to its end with the real tasks, measuring every state and task payload. */
  async function run(input: Record<string, unknown>, name: string, taskDeps: TaskDeps = deps): Promise<Measured> {
    const sizes = new Map<string, number>();
    const note = (where: string, value: unknown) => sizes.set(where, Math.max(sizes.get(where) ?? 0, bytes(value)));
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = { ...taskHandlers(taskDeps) };
    for (const [state, handler] of Object.entries(handlers)) {
      handlers[state] = async (taskInput) => {
        note(`${state} task input`, taskInput);
        const result = await handler(taskInput);
        note(`${state} task result`, result);
        return result;
      };
    }
    const machine = new StateMachine(loadDefinition() as never, { validationOptions: { checkArn: false } });
    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((k) => [k, 1])) },
      context: { Execution: { Name: name, Id: `local:${name}` } } as never,
    });
    const logged = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') note(`${event.state.name} state input`, event.state.input);
        else if (event.type === 'StateExited') note(`${event.state.name} state output`, event.state.output);
      }
    })();
    let outcome: Measured['outcome'] = 'succeeded';
    let error: unknown;
    try {
      await execution.result;
    } catch (err) {
      outcome = 'failed';
      error = err;
    }
    await logged;
    return { sizes, executionInput: bytes(input), outcome, error };
  }

  /**
   * Every payload under the budget, except those that are the execution input itself as the
   * caller sent it (the states before Plan has put it away): those at most a few hundred bytes
   * over it. Everything under Step Functions' limit.
   */
  function expectWithinBudget(label: string, m: Measured): void {
    const rows = [...m.sizes].sort((a, b) => b[1] - a[1]);
    const carriesInput = (where: string) => /^(Start|Recorded|PlanDirect|NotStarted) /.test(where);
    const [largestAfter] = rows.filter(([where]) => !carriesInput(where));
    const after = largestAfter ? `${KiB(largestAfter[1])} (${largestAfter[0]})` : 'none (it ended at Plan)';
    report.push(`  ${label}: execution input ${KiB(m.executionInput)}; largest after Plan ${after}; largest of all ${KiB(rows[0][1])} (${rows[0][0]})`);
    for (const [where, size] of rows) {
      expect(size, `${label}: ${where}`).toBeLessThan(STATE_LIMIT_BYTES);
      if (carriesInput(where)) expect(size, `${label}: ${where}`).toBeLessThanOrEqual(m.executionInput + 512);
      else expect(size, `${label}: ${where}`).toBeLessThanOrEqual(STATE_BUDGET_BYTES);
    }
  }

  async function recorded(id: string, c: CanaryConfig): Promise<void> {
    const { created } = await createExecution({ id, config: c, canaryConfigId: 'c', executionRequest: parseWith(executionRequestSchema, executionRequest), application: 'shop' }, deps);
    expect(created).toBe(true);
  }

  it('a direct start with an inline config of 200 KB: the config goes to S3 with the request, not along the states', async () => {
    const big = configOfBytes(200 * 1024);
    expect(bytes(big)).toBe(200 * 1024);
    const m = await run({ canaryConfig: big, executionRequest, application: 'shop' }, 'inline-200k');
    expect(m.outcome, String(m.error)).toBe('succeeded');
    expect(await deps.executions.get('inline-200k')).toMatchObject({ status: 'succeeded', classification: 'Pass' });
    expect((await deps.executions.document('inline-200k')).config.description).toBe(big.description);
    expectWithinBudget('inline config of 200 KB', m);
  }, 60_000);

  it('a direct start with an inline config of 200 KB that fails after Plan: the failure is recorded, the state stays small', async () => {
    const big = configOfBytes(200 * 1024);
    const m = await run({ canaryConfig: big, executionRequest, application: 'shop' }, 'inline-200k-failing', failingStore('putResult', `S3 refused: ${'"東京" '.repeat(20_000)}`));
    expect(m.outcome).toBe('failed');
    const record = await deps.executions.get('inline-200k-failing');
    expect(record).toMatchObject({ status: 'terminal', exception: { exceptionType: 'S3ServiceException', operation: 'judge' } });
    expect(record.exception!.details.error).toMatch(/^S3 refused: "東京"/);
    expect(record.exception!.details.error).toContain('(cut from 100012 characters)');
    expectWithinBudget('inline config of 200 KB, Judge failing', m);
  }, 60_000);

  it('a direct start with an invalid inline config of 200 KB: refused, nothing recorded, the reason in the failure', async () => {
    const big = configOfBytes(200 * 1024);
    const m = await run({ canaryConfig: { ...big, judge: { name: 'dredd' } }, executionRequest, application: 'shop' }, 'inline-200k-invalid');
    expect(m.outcome).toBe('failed');
    expect(String((m.error as Error).message)).toContain("Unable to resolve canary judge 'dredd'");
    expect(await deps.executions.find('inline-200k-invalid')).toBeUndefined();
    expectWithinBudget('invalid inline config of 200 KB', m);
  }, 60_000);

  it('500 metrics (500 fetches, 1,000 sides): the fetch list holds indices, every set goes to S3', async () => {
    await recorded('metrics-500', config(Array.from({ length: 500 }, (_, i) => metric(`m${i}`))));
    const m = await run({ executionId: 'metrics-500' }, 'metrics-500');
    expect(m.outcome, String(m.error)).toBe('succeeded');
    expect(await deps.executions.get('metrics-500')).toMatchObject({ status: 'succeeded', score: 100 });
    expectWithinBudget('500 metrics', m);
  }, 120_000);

  it('500 metrics, Mix failing with a long message: the caught error and the results together stay in budget', async () => {
    await recorded('metrics-500-failing', config(Array.from({ length: 500 }, (_, i) => metric(`m${i}`))));
    const m = await run({ executionId: 'metrics-500-failing' }, 'metrics-500-failing', failingStore('putPairList', `S3 refused: ${'\u0001"\\'.repeat(50_000)}`));
    expect(m.outcome).toBe('failed');
    expect(await deps.executions.get('metrics-500-failing')).toMatchObject({ status: 'terminal', exception: { exceptionType: 'S3ServiceException', operation: 'mixMetrics' } });
    expectWithinBudget('500 metrics, Mix failing', m);
  }, 120_000);

  it('sets whose tags are multi-byte: the inline budget counts bytes, not characters', async () => {
    // 40 metrics × 2 sides, each set with a label of 350 three-byte characters (in its tags and
    // its query): in characters each fits its share of the state, in bytes it does not.
    const label = '東'.repeat(350);
    const metrics = Array.from({ length: 40 }, (_, i) => metric(`m${i}`, label));
    const share = planExecution('multibyte', config(metrics), undefined, 0).inlineBytes;
    const { source } = deps.accounts.resolve(undefined, 'prometheus');
    const sets = kayentaJson(await source.fetch({ metric: metrics[0] as never, scope: { ...executionRequest.scopes.default.controlScope, location: undefined } }));
    expect(sets.length).toBeLessThanOrEqual(share);
    expect(Buffer.byteLength(sets)).toBeGreaterThan(share);
    expect(40 * 2 * Buffer.byteLength(sets)).toBeGreaterThan(STATE_LIMIT_BYTES); // all of them inline would pass the limit
    await recorded('multibyte', config(metrics));
    const m = await run({ executionId: 'multibyte' }, 'multibyte');
    expect(m.outcome, String(m.error)).toBe('succeeded');
    expect(await deps.executions.get('multibyte')).toMatchObject({ status: 'succeeded', score: 100 });
    expectWithinBudget('40 metrics with multi-byte tags', m);
  }, 60_000);

  it('40 small metrics: their sets travel in the state, filling it up to the budget at most', async () => {
    await recorded('metrics-40', config(Array.from({ length: 40 }, (_, i) => metric(`m${i}`))));
    const m = await run({ executionId: 'metrics-40' }, 'metrics-40');
    expect(m.outcome, String(m.error)).toBe('succeeded');
    // The sets came back inline: the Map's output holds them (no S3 round trip for small analyses).
    expect(m.sizes.get('Fetch state output')).toBeGreaterThan(40 * 2 * 1000);
    expectWithinBudget('40 metrics, sets inline', m);
  }, 60_000);
});

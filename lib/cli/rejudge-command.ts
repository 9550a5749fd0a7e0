// `canaria rejudge EXECUTION_ID`: asks a running canaria to judge a past execution again
// (POST /judges/judge?canaryExecutionId=…), from the metric set pairs it stored, and prints the
// CanaryJudgeResult. Nothing is fetched from a metrics store. Only node built-ins: the judging
// happens in the service.
import { UsageError } from './io.ts';
import { DEFAULT_URL, exitOnServiceError, executionTarget, parseCommandArgs } from './service-client.ts';

export const REJUDGE_HELP = `Usage: canaria rejudge EXECUTION_ID [--judge NAME] [--pass N --marginal N]
                       [--url URL] [--api-key KEY] [--pretty]

Judges a past canary execution again from what it stored (its config snapshot and its metric
set pairs; nothing is fetched) and prints the CanaryJudgeResult JSON on stdout: with the
execution's own judge and thresholds it is the result the execution stored; --judge and
--pass/--marginal try others, e.g. canaria-v1 on the rollouts of last month before switching.
It asks a running canaria: POST URL/judges/judge?canaryExecutionId=EXECUTION_ID.

Options:
      --judge NAME      NetflixACAJudge-v1.0 or canaria-v1 (GET /judges; default: the
                        execution's judge)
      --pass N          the pass threshold (default: the execution's)
      --marginal N      the marginal threshold (default: the execution's)
      --url URL         the canaria to ask, with any path prefix (default ${DEFAULT_URL},
                        where canaria serve listens)
      --api-key KEY     an API key of scope analyze, for canaria serve --auth and the deployed
                        API (sent as "Authorization: Bearer KEY")
      --pretty          indent the output
  -h, --help            show this help

Exit status: 0 with the result; 2 for bad usage, or when the service refuses the request
(an unknown execution or judge, a bad threshold, a missing or too narrow key): stderr then
has one line saying why, e.g.
  canaria rejudge: judge: Unable to resolve canary judge 'v2'. canaria runs: ...
1 when the service cannot be reached or fails (the line names the URL).
`;

const OPTIONS = {
  judge: { type: 'string' },
  pass: { type: 'string' },
  marginal: { type: 'string' },
  pretty: { type: 'boolean' },
} as const;

function threshold(option: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(value) || !Number.isFinite(Number(value))) {
    throw new UsageError(`--${option} must be a number, e.g. ${option === 'pass' ? 95 : 75}, not "${value}"`);
  }
  return value;
}

export async function rejudgeCommand(args: string[]): Promise<number> {
  const { values: o, positionals } = parseCommandArgs(args, OPTIONS);
  const { id, client } = executionTarget('rejudge', positionals, o);
  if (o.judge !== undefined && o.judge.trim() === '') throw new UsageError('--judge needs a judge name, e.g. --judge canaria-v1');
  const pass = threshold('pass', o.pass);
  const marginal = threshold('marginal', o.marginal);
  const query = new URLSearchParams({ canaryExecutionId: id });
  if (o.judge !== undefined) query.set('judge', o.judge);
  if (pass !== undefined) query.set('passThreshold', pass);
  if (marginal !== undefined) query.set('marginalThreshold', marginal);
  return exitOnServiceError('rejudge', async () => {
    const { body, text } = await client.call('POST', `/judges/judge?${query}`);
    process.stdout.write(`${o.pretty ? JSON.stringify(body, null, 2) : text.trim()}\n`);
    return 0;
  });
}

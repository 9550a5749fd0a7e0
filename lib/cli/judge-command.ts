// `canaria judge --input FILE|-`: Kayenta's RemoteJudge body in, CanaryJudgeResult out.
import * as z from 'zod';
import { judgeRequestSchema } from '../config/judge-request.ts';
import { parseWith, ValidationError } from '../config/validation.ts';
import { serializeJudgeResult } from '../judge/judge.ts';
import { JudgeChoiceError, judgeSuppliedPairs } from '../judge/judges.ts';
import { MAX_LISTED_PROBLEMS, parseOptions, readJsonInput, UsageError, usageErrorOf } from './io.ts';

export const JUDGE_HELP = `Usage: canaria judge --input FILE|- [--judge NAME] [--pretty]

Runs a judge on a Kayenta RemoteJudge body and prints the CanaryJudgeResult JSON on stdout:
--judge, else the config's judge.name, else NetflixACAJudge-v1.0.

Input (JSON):
  {
    "canaryConfig":      a Kayenta canary config (metrics, classifier.groupWeights, ...),
    "metricSetPairList": [{"name", "id", "tags", "values": {"control": [...], "experiment": [...]}}],
    "scoreThresholds":   {"pass": 95, "marginal": 75}
  }
  Series values are numbers; "NaN" and null stand for missing points.

Options:
  -i, --input FILE   read the body from FILE, or from standard input with "-"
      --judge NAME   NetflixACAJudge-v1.0 or canaria-v1 (docs/judge.md)
      --pretty       indent the output
  -h, --help         show this help

Exit status: 0 on success; 2 when the input is unreadable, not JSON or invalid: stderr then
lists every problem, one line each naming the field, e.g.
  canaria judge: metricSetPairList[0].values.control[3]: must be a number, "NaN" or null
(at most ${MAX_LISTED_PROBLEMS}, then "… and K more problems"); 1 on an internal error.
`;

export async function judgeCommand(args: string[]): Promise<void> {
  const opts = parseOptions(args, {
    input: { type: 'string', short: 'i' },
    pretty: { type: 'boolean' },
    judge: { type: 'string' },
  });
  if (opts.input === undefined) throw new UsageError('--input FILE (or - for stdin) is required');
  // The young generation keeps its first size: the input's arrays reach the old one sooner and each
  // scavenge reuses pages already touched, where a growing one touches new pages (~10 µs a page on
  // these machines). 10 × 10,000 points: −8 ms of ~220; 10 × 100,000: −80 ms of ~700 (bench:judge).
  process.getBuiltinModule('node:v8').setFlagsFromString('--semi-space-growth-factor=1');
  const body = await readJsonInput(opts.input);
  // One parse: zod's compiled fast path for objects would cost more to build than it saves (~5 ms).
  z.config({ jitless: true });
  let request;
  try {
    request = parseWith(judgeRequestSchema, body);
  } catch (err) {
    if (err instanceof ValidationError) throw usageErrorOf(err);
    throw err;
  }
  let result;
  try {
    result = judgeSuppliedPairs(request.canaryConfig, request.metricSetPairList, request.scoreThresholds, opts.judge, '--judge');
  } catch (err) {
    if (err instanceof JudgeChoiceError) throw new UsageError(err.message, err.issues);
    throw err;
  }
  process.stdout.write(`${serializeJudgeResult(result, opts.pretty ? 2 : undefined)}\n`);
}

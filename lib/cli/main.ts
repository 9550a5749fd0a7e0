// `canaria <command>`: dispatch and the shared exit-code convention
// (0 success, 1 internal failure, 2 bad usage or bad input; `analyze` adds its verdicts).
import { readFileSync } from 'node:fs';
import { UsageError } from './io.ts';

const HELP = `Usage: canaria <command> [options]
       canaria --version

Commands:
  judge     Judge a Kayenta RemoteJudge body and print the CanaryJudgeResult
  rejudge   Judge a past execution again (another judge, other thresholds) through a
            running canaria, without fetching metrics, and print the CanaryJudgeResult
  report    Write the report page (HTML) of an execution of a running canaria
  serve     Run the HTTP API locally on embedded storage (npm start)
  analyze   Run one canary analysis without a server and print the verdict
            (exit status by verdict: see "canaria analyze --help")
  keys      Create, list and revoke API keys (a data directory or the deployed table)

Options:
  -V, --version  print "canaria <version>" and exit
  -h, --help     show this help

Run "canaria <command> --help" for a command's options.
`;

/** canaria's version, as package.json gives it. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** A command resolves with its exit status (0 when it returns nothing). */
type Command = { run: (args: string[]) => Promise<number | void>; help: string };

// Loaded on demand: --version and --help answer at once, and a command loads only its own code.
const COMMANDS: Record<string, () => Promise<Command>> = {
  judge: async () => {
    const m = await import('./judge-command.ts');
    return { run: m.judgeCommand, help: m.JUDGE_HELP };
  },
  rejudge: async () => {
    const m = await import('./rejudge-command.ts');
    return { run: m.rejudgeCommand, help: m.REJUDGE_HELP };
  },
  report: async () => {
    const m = await import('./report-command.ts');
    return { run: m.reportCommand, help: m.REPORT_HELP };
  },
  serve: async () => {
    const m = await import('./serve-command.ts');
    return { run: m.serveCommand, help: m.SERVE_HELP };
  },
  analyze: async () => {
    const m = await import('./analyze-command.ts');
    return { run: m.analyzeCommand, help: m.ANALYZE_HELP };
  },
  keys: async () => {
    const m = await import('./keys-command.ts');
    return { run: m.keysCommand, help: m.KEYS_HELP };
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`canaria ${version()}\n`);
    return 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    process.stderr.write(`canaria: unknown command "${name}" (try "canaria --help")\n`);
    return 2;
  }
  const command = await load();
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(command.help);
    return 0;
  }
  try {
    return (await command.run(args)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      for (const line of err.lines) process.stderr.write(`canaria ${name}: ${line}\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`canaria ${name}: internal error: ${message}\n`);
    if (process.env.CANARIA_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

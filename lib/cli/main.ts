// `canaria <command>`: dispatch and the shared exit-code convention
// (0 success, 1 internal failure, 2 bad usage or bad input).
import { analyzeCommand, ANALYZE_HELP } from './analyze-command.ts';
import { judgeCommand, JUDGE_HELP } from './judge-command.ts';
import { UsageError } from './io.ts';
import { serveCommand, SERVE_HELP } from './serve-command.ts';

const HELP = `Usage: canaria <command> [options]

Commands:
  judge     Judge a Kayenta RemoteJudge body and print the CanaryJudgeResult
  serve     Run the HTTP API locally on embedded storage (npm start)
  analyze   Run one canary analysis without a server and print the verdict

Run "canaria <command> --help" for a command's options.
`;

/** A command resolves with its exit status (0 when it returns nothing). */
type Command = { run: (args: string[]) => Promise<number | void>; help: string };

const COMMANDS: Record<string, Command> = {
  judge: { run: judgeCommand, help: JUDGE_HELP },
  serve: { run: serveCommand, help: SERVE_HELP },
  analyze: { run: analyzeCommand, help: ANALYZE_HELP },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`canaria: unknown command "${name}" (try "canaria --help")\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(command.help);
    return 0;
  }
  try {
    return (await command.run(args)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`canaria ${name}: ${err.message}\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`canaria ${name}: internal error: ${message}\n`);
    if (process.env.CANARIA_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

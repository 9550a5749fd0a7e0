// `canaria serve`: the embedded local service (npm start).
import { resolve } from 'node:path';
import { loadAccountsFile, type Account, type AccountsFile } from '../config/accounts.ts';
import { ValidationError } from '../config/validation.ts';
import { DataDirInUseError } from '../local/data-dir.ts';
import { LegacyDataDirError } from '../local/legacy-data-dir.ts';
import { isLoopback } from '../local/http-server.ts';
import { startLocalService } from '../local/service.ts';
import { consoleTelemetry } from '../telemetry/console.ts';
import { parseOptions, UsageError, usageErrorOf } from './io.ts';

export const SERVE_HELP = `Usage: canaria serve [--host 127.0.0.1] [--port 8090] [--data-dir .canaria] [--accounts FILE] [--auth] [--quiet] [--verbose]

Serves canaria's HTTP API locally with the same route logic as the AWS Lambdas, on an
embedded SQLite store kept in --data-dir (canaria.db). Prints "canaria listening on
http://HOST:PORT" on stdout when ready; Ctrl-C stops it. On stderr it logs a line per
request and the events of each analysis (on AWS the same events are JSON log lines and
CloudWatch metrics; docs/telemetry.md):
  canaria: POST /canary/1b2c 200 12 ms                (the path without its query string)
  canaria: analysis 01J… started: config 1b2c of my-app, 3 metrics, judge NetflixACAJudge-v1.0
  canaria: analysis 01J… judged by NetflixACAJudge-v1.0 in 2 ms: Pass, score 100 (3 Pass)
  canaria: analysis 01J… succeeded: Pass, score 100
  canaria: analysis 01J… terminal in fetch: REASON

On a loopback address it answers only requests whose Host is localhost or that address
(421 otherwise, against DNS rebinding); a body over 1 MiB gets 413.

Without --auth every route is open: fine on loopback, and warned about on any other address.
With --auth every route but /health needs an API key of the data directory (canaria keys
create --data-dir DIR --scope read|analyze|admin), as the deployed API does: 401 without one
or with an unknown or revoked one, 403 when its scope is too narrow. The routes Argo's
kayenta provider calls are also served under /k/SECRET/ (canaria keys kayenta-secret prints
SECRET); see docs/auth.md.

Options:
      --host HOST       address to listen on (default 127.0.0.1)
      --port PORT       port to listen on (default 8090; 0 picks a free one)
      --data-dir DIR    where configs and results are kept (default .canaria)
      --accounts FILE   metric back-ends, YAML or JSON:
                          accounts:
                            - {name: prom, type: prometheus, endpoint: http://127.0.0.1:9090}
                            - {name: cw, type: cloudwatch, region: eu-west-1}
      --auth            require API keys (see above)
  -q, --quiet           no request lines (analyses are still logged)
  -v, --verbose         also a line per metric fetched (metric, side, source, points, ms) and their summary
  -h, --help            show this help
`;

/** A log line on stderr; stdout carries only the ready line. */
function logLine(line: string): void {
  process.stderr.write(`canaria: ${line}\n`);
}

export async function serveCommand(args: string[]): Promise<void> {
  const opts = parseOptions(args, {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8090' },
    'data-dir': { type: 'string', default: '.canaria' },
    accounts: { type: 'string' },
    auth: { type: 'boolean', default: false },
    quiet: { type: 'boolean', short: 'q', default: false },
    verbose: { type: 'boolean', short: 'v', default: false },
  });
  const port = Number(opts.port);
  if (!/^\d+$/.test(opts.port) || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, not "${opts.port}"`);
  let accounts: Account[] = [];
  let limits: AccountsFile['limits'];
  if (opts.accounts !== undefined) {
    try {
      ({ accounts, limits } = await loadAccountsFile(opts.accounts));
      process.stderr.write(`canaria: ${accounts.length} metric account(s) from ${opts.accounts}\n`);
    } catch (err) {
      if (err instanceof ValidationError) throw usageErrorOf(err);
      throw err;
    }
  }
  let service;
  try {
    service = await startLocalService({
      host: opts.host,
      port,
      dataDir: resolve(opts['data-dir']),
      accounts,
      sourceOptions: { limits },
      auth: opts.auth,
      ...(opts.quiet ? {} : { requestLog: logLine }),
      analysisLog: logLine,
      telemetry: consoleTelemetry(logLine, { verbose: opts.verbose }),
      storageLog: logLine,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EADDRNOTAVAIL' || e.code === 'EACCES') {
      throw new UsageError(`cannot listen on ${opts.host}:${port}: ${e.code}`);
    }
    if (err instanceof DataDirInUseError) throw new UsageError(err.message);
    if (err instanceof LegacyDataDirError) {
      throw new UsageError(`${err.message}; to start with an empty store instead, move s3/ and dynamodb/ out of ${opts['data-dir']}`);
    }
    throw err;
  }
  // Handlers first: whoever reads the ready line may signal at once.
  const stopped = new Promise<void>((done) => {
    let stopping = false;
    const stop = () => {
      if (stopping) {
        process.stderr.write('canaria serve: stopping anyway\n');
        process.exit(130);
      }
      stopping = true;
      service.stop().then(done, (err: Error) => {
        process.stderr.write(`canaria serve: error while stopping: ${err.message}\n`);
        done();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const bound = new URL(service.url).hostname.replace(/^\[|\]$/g, '');
  if (!opts.auth && !isLoopback(bound)) {
    logLine(
      `warning: listening on ${bound} without --auth: anyone who can reach this address can change canary configs and start analyses; start with --auth and API keys (canaria keys create; docs/auth.md)`,
    );
  }
  if (opts.auth) logLine(`auth on: every route but /health needs an API key of ${resolve(opts['data-dir'])} (canaria keys list --data-dir ${opts['data-dir']})`);
  process.stdout.write(`canaria listening on ${service.url}\n`);
  await stopped;
  // Everything canaria started is closed; idle client sockets need not hold the process.
  process.exit(0);
}

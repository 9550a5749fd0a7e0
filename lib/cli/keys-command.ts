// `canaria keys`: API keys (create, list, revoke) in a data directory or the deployed table, and
// the local secret of the /k/{secret}/ prefix (docs/auth.md).
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { ApiKeyError, ApiKeyStore, keyNameSchema, type ApiKeySummary } from '../auth/api-keys.ts';
import { dynamoRecords, findStageTable } from '../auth/dynamo-keys.ts';
import { ensureStoredSecret } from '../auth/kayenta-secret.ts';
import { NoDataDirError, openDataDirRecords, type OpenedRecords } from '../auth/local-store.ts';
import { isScope } from '../auth/scopes.ts';
import { parseWith, ValidationError } from '../config/validation.ts';
import { DataDirInUseError } from '../local/data-dir.ts';
import { LegacyDataDirError } from '../local/legacy-data-dir.ts';
import { UsageError, usageErrorOf } from './io.ts';

export const KEYS_HELP = `Usage: canaria keys create --scope read|analyze|admin [--name NAME] [WHERE]
       canaria keys list [--json] [WHERE]
       canaria keys revoke NAME [WHERE]
       canaria keys kayenta-secret [--rotate] [--data-dir DIR]

API keys for canaria serve --auth and the deployed API, sent as "Authorization: Bearer KEY"
or "x-api-key: KEY". A key's scope says what it may do:
  read      every GET (configs, executions, results, accounts)
  analyze   read + start analyses, preview, fetch, judge, POST /v1/judgements
  admin     everything, including writing and deleting canary configs

  create          prints the new key alone on stdout; it is stored hashed and never shown again
  list            name, scope, creation time and the key's id and last 4 characters
  revoke NAME     deletes the key named NAME (or with that id): canaria serve refuses it at
                  once, the deployed authorizer within its cache time (60 s by default)
  kayenta-secret  prints the secret of the /k/SECRET/ prefix under which canaria serve also
                  answers the routes Argo's kayenta provider calls, creating it if needed;
                  --rotate replaces it (on AWS the secret is an SSM parameter: docs/auth.md)

WHERE (default: --data-dir .canaria):
      --data-dir DIR    the data directory of canaria serve (works while it runs)
      --stage STAGE     the table of the stack deployed with --stage STAGE
                        (canaria-STAGE-CanariaTable-…, found with dynamodb:ListTables)
      --table TABLE     a DynamoDB table by name (the stack's TableName output)
      --region REGION   with --stage or --table (default AWS_REGION, else us-east-1)

Options:
      --scope SCOPE     read, analyze or admin (create)
      --name NAME       1 to 64 letters, digits, ".", "_", "-" (create; default key-<id>)
      --json            list as JSON
      --rotate          a new kayenta secret (kayenta-secret)
  -h, --help            show this help
`;

const OPTIONS = {
  'data-dir': { type: 'string' },
  stage: { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
  scope: { type: 'string' },
  name: { type: 'string' },
  json: { type: 'boolean', default: false },
  rotate: { type: 'boolean', default: false },
} as const;

type Values = ReturnType<typeof parse>['values'];

function parse(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
}

function note(line: string): void {
  process.stderr.write(`canaria keys: ${line}\n`);
}

/** The only options `action` takes (besides where). */
function only(action: string, values: Values, allowed: Array<keyof Values>): void {
  for (const name of ['scope', 'name', 'json', 'rotate'] as const) {
    if (!allowed.includes(name) && values[name] !== undefined && values[name] !== false) throw new UsageError(`--${name} does not go with "keys ${action}"`);
  }
}

interface Where {
  records: OpenedRecords;
  /** Said after a revocation. */
  revokedNote: string;
}

async function openWhere(values: Values, create: boolean): Promise<Where> {
  const remote = [values.stage !== undefined && '--stage', values.table !== undefined && '--table'].filter(Boolean);
  if (remote.length > 1) throw new UsageError('give --stage or --table, not both');
  if (remote.length > 0 && values['data-dir'] !== undefined) throw new UsageError(`give ${remote[0]} or --data-dir, not both`);
  if (remote.length === 0 && values.region !== undefined) throw new UsageError('--region goes with --stage or --table');
  if (remote.length > 0) {
    const settings = { region: values.region, endpoint: process.env.CANARIA_DYNAMODB_ENDPOINT || undefined };
    let table = values.table;
    if (table === undefined) {
      if (!/^[a-zA-Z0-9-]{1,64}$/.test(values.stage!)) throw new UsageError(`--stage must be letters, digits and "-", not ${JSON.stringify(values.stage)}`);
      try {
        table = await findStageTable(values.stage!, settings);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
    return {
      records: { records: dynamoRecords(table, settings), close: async () => undefined },
      revokedNote: '; the deployed authorizer may still accept it for up to its cache time (CANARIA_AUTH_CACHE_SECONDS, 60 s by default)',
    };
  }
  const dataDir = resolve(values['data-dir'] ?? '.canaria');
  try {
    return { records: await openDataDirRecords(dataDir, { create, log: note }), revokedNote: '' };
  } catch (err) {
    if (err instanceof NoDataDirError || err instanceof DataDirInUseError || err instanceof LegacyDataDirError) throw new UsageError(err.message);
    throw err;
  }
}

function table(keys: ApiKeySummary[]): string {
  const rows = [['NAME', 'SCOPE', 'CREATED', 'KEY'], ...keys.map((k) => [k.name, k.scope, k.createdAt, k.hint])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}

export async function keysCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args);
  const [action, ...rest] = positionals;
  const extra = (allowed: number) => {
    if (rest.length > allowed) throw new UsageError(`unexpected argument ${JSON.stringify(rest[allowed])}`);
  };
  switch (action) {
    case 'create': {
      extra(0);
      only(action, values, ['scope', 'name']);
      if (values.scope === undefined) throw new UsageError('keys create needs --scope read, analyze or admin');
      if (!isScope(values.scope)) throw new UsageError(`--scope must be read, analyze or admin, not ${JSON.stringify(values.scope)}`);
      if (values.name !== undefined) {
        try {
          parseWith(keyNameSchema, values.name, ['--name']);
        } catch (err) {
          if (err instanceof ValidationError) throw usageErrorOf(err);
          throw err;
        }
      }
      const where = await openWhere(values, true);
      try {
        const { key, summary } = await new ApiKeyStore(where.records.records).create({ name: values.name, scope: values.scope });
        process.stdout.write(`${key}\n`);
        note(`created "${summary.name}" (scope ${summary.scope}, ${summary.hint}); the key is shown only this once`);
        return 0;
      } catch (err) {
        if (err instanceof ApiKeyError) throw new UsageError(err.message);
        throw err;
      } finally {
        await where.records.close();
      }
    }
    case 'list': {
      extra(0);
      only(action, values, ['json']);
      const where = await openWhere(values, false);
      try {
        const keys = await new ApiKeyStore(where.records.records).list();
        if (values.json) process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
        else if (keys.length > 0) process.stdout.write(table(keys));
        else note('no keys (create one with: canaria keys create --scope read|analyze|admin)');
        return 0;
      } finally {
        await where.records.close();
      }
    }
    case 'revoke': {
      if (rest.length === 0) throw new UsageError('keys revoke needs the NAME of a key (canaria keys list shows them)');
      extra(1);
      only(action, values, []);
      const where = await openWhere(values, false);
      try {
        const revoked = await new ApiKeyStore(where.records.records).revoke(rest[0]);
        if (!revoked) throw new UsageError(`no key named ${JSON.stringify(rest[0])} (canaria keys list shows them)`);
        note(`revoked "${revoked.name}" (${revoked.hint})${where.revokedNote}`);
        return 0;
      } finally {
        await where.records.close();
      }
    }
    case 'kayenta-secret': {
      extra(0);
      only(action, values, ['rotate']);
      if (values.stage !== undefined || values.table !== undefined) {
        throw new UsageError(
          'on AWS the kayenta secret is an SSM SecureString parameter (/canaria/STAGE/kayenta-path-secret), read with: aws ssm get-parameter --with-decryption --name /canaria/STAGE/kayenta-path-secret (docs/auth.md)',
        );
      }
      const where = await openWhere(values, true);
      try {
        const secret = await ensureStoredSecret(where.records.records, values.rotate);
        process.stdout.write(`${secret}\n`);
        if (values.rotate) note('a new secret: addresses with the old one now get 404');
        return 0;
      } finally {
        await where.records.close();
      }
    }
    case undefined:
      throw new UsageError('keys needs an action: create, list, revoke or kayenta-secret (canaria keys --help)');
    default:
      throw new UsageError(`unknown action ${JSON.stringify(action)}: create, list, revoke or kayenta-secret`);
  }
}

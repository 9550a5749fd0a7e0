import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkDeployAccounts,
  environmentBytes,
  LAMBDA_ENVIRONMENT_LIMIT,
  NO_ACCOUNTS_WARNING,
  type FunctionEnvironments,
} from '../../lib/config/deploy-accounts.ts';
import { packageStack, repoRoot } from './package.ts';

// The deploy-time check of CANARIA_ACCOUNTS (serverless-accounts.cjs, logic in
// lib/config/deploy-accounts.ts). One real `serverless package` here, for the failure (it
// stops before bundling, so it is quick); the valid case is template.test.ts's package run;
// the rest calls the check and the plugin directly.

const VALID = 'accounts:\n  - {name: prom, type: prometheus, endpoint: https://prometheus.example.com}';

/** Environments shaped as osls resolves serverless.yml's (values CloudFormation fills in are objects). */
function environments(accounts: string | undefined, extra: Record<string, unknown> = {}): FunctionEnvironments {
  const base = { NODE_OPTIONS: '--enable-source-maps', CANARIA_BUCKET: { Ref: 'CanariaBucket' }, CANARIA_TABLE: { Ref: 'CanariaTable' } };
  const withAccounts = accounts === undefined ? { ...base, ...extra } : { ...base, ...extra, CANARIA_ACCOUNTS: accounts };
  return {
    configs: base,
    metrics: withAccounts,
    canary: { ...withAccounts, CANARIA_STATE_MACHINE_ARN: { Ref: 'CanaryAnalysis' } },
    fetch: withAccounts,
    meta: { NODE_OPTIONS: '--enable-source-maps' },
  };
}

describe('serverless package with an invalid CANARIA_ACCOUNTS', () => {
  let outDir = '';
  let run: ReturnType<typeof packageStack>;

  beforeAll(() => {
    outDir = mkdtempSync(join(tmpdir(), 'canaria-package-invalid-'));
    run = packageStack(outDir, 'accounts: [{name: p, type: prometheus, endpoint: notaurl}]');
  }, 180_000);
  afterAll(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('fails, naming the field, before building anything', () => {
    expect(run.status, run.output).not.toBe(0);
    expect(run.output).toContain('CANARIA_ACCOUNTS: accounts[0].endpoint: must be an http(s) URL');
    expect(readdirSync(outDir).filter((f) => f.endsWith('.zip') || f.endsWith('.json'))).toEqual([]);
  });
});

describe('checkDeployAccounts', () => {
  it('passes a valid file, YAML or JSON, without a word', () => {
    expect(checkDeployAccounts(environments(VALID))).toEqual({ errors: [], warnings: [] });
    const json = JSON.stringify({ accounts: [{ name: 'cw', type: 'cloudwatch', region: 'eu-west-1' }] });
    expect(checkDeployAccounts(environments(json))).toEqual({ errors: [], warnings: [] });
  });

  it('warns, and passes, when CANARIA_ACCOUNTS is empty, unset or lists no account', () => {
    for (const accounts of ['', 'accounts: []', undefined]) {
      const { errors, warnings } = checkDeployAccounts(environments(accounts));
      expect(errors, String(accounts)).toEqual([]);
      expect(warnings, String(accounts)).toEqual([NO_ACCOUNTS_WARNING]);
    }
    expect(NO_ACCOUNTS_WARNING).toContain("every analysis is refused with a 400 'No prometheus metrics account is configured'; set CANARIA_ACCOUNTS");
  });

  it('fails on what the Lambdas would refuse, with the parser’s messages', () => {
    const errorsOf = (text: string) => checkDeployAccounts(environments(text)).errors;
    expect(errorsOf('accounts: [{name: p, type: prometheus, endpoint: notaurl}]')).toEqual([
      'CANARIA_ACCOUNTS: accounts[0].endpoint: must be an http(s) URL',
    ]);
    expect(errorsOf('accounts: [')[0]).toMatch(/^CANARIA_ACCOUNTS: not valid YAML or JSON: /);
    // Blank is not empty: the Lambda would parse it and fail at its first request.
    expect(errorsOf('  \n')).toEqual(['CANARIA_ACCOUNTS: must be an object']);
    expect(errorsOf(`${VALID}\n  - {name: prom, type: cloudwatch, region: eu-west-1}`)).toEqual([
      'CANARIA_ACCOUNTS: accounts[1].name: duplicate account name "prom"',
    ]);
    expect(checkDeployAccounts(environments('accounts: nope')).warnings).toEqual([]);
  });

  it('fails above Lambda’s 4 KB environment, counting the function’s other variables', () => {
    // Pad the text with a YAML comment until the largest environment (canary's) is exactly at the limit.
    const padded = (n: number) => `${VALID}\n#${'x'.repeat(n)}`;
    const bytes = (n: number) => environmentBytes(environments(padded(n)).canary!);
    const fits = LAMBDA_ENVIRONMENT_LIMIT - bytes(0);
    expect(bytes(fits)).toBe(LAMBDA_ENVIRONMENT_LIMIT);
    expect(checkDeployAccounts(environments(padded(fits))).errors).toEqual([]);
    const [error, ...more] = checkDeployAccounts(environments(padded(fits + 1))).errors;
    expect(more).toEqual([]);
    expect(error).toMatch(/^CANARIA_ACCOUNTS: \d+ bytes is too long: Lambda allows 4096 bytes \(4 KB\) for all of a function's environment variables/);
    expect(error).toContain('the environment of canary would be about 4097 bytes');
    // Values CloudFormation fills in are counted at 128 bytes: more than a bucket name or this ARN.
    expect(environmentBytes({ A: { Ref: 'X' } })).toBe(JSON.stringify({ A: 'x'.repeat(128) }).length);
  });

  it("warns about a Prometheus on the deployer's machine, which no Lambda can reach", () => {
    for (const host of ['localhost:9090', '127.0.0.1:9090', '[::1]:9090']) {
      const { errors, warnings } = checkDeployAccounts(environments(`accounts: [{name: p, type: prometheus, endpoint: 'http://${host}'}]`));
      expect(errors).toEqual([]);
      expect(warnings, host).toEqual([expect.stringMatching(/^CANARIA_ACCOUNTS: accounts\[0\]\.endpoint: http:\/\/\S+ is this machine; a Lambda cannot reach it/)]);
    }
    expect(checkDeployAccounts(environments('accounts: [{name: p, type: prometheus, endpoint: http://10.0.0.5:9090}]')).warnings).toEqual([]);
  });

  it('warns about {env} secrets the functions do not have', () => {
    const text = 'accounts: [{name: p, type: prometheus, endpoint: https://p.example.com, auth: {type: bearer, token: {env: PROM_TOKEN}}}]';
    expect(checkDeployAccounts(environments(text)).warnings).toEqual([
      'CANARIA_ACCOUNTS: accounts[0].auth.token: {env: PROM_TOKEN} is not set in the environment of metrics, canary, fetch; ' +
        'on AWS keep the secret in Secrets Manager ({secretArn: ...}) or SSM ({ssmParameter: ...})',
    ]);
    expect(checkDeployAccounts(environments(text, { PROM_TOKEN: 'x' })).warnings).toEqual([]);
    const refs = 'accounts: [{name: p, type: prometheus, endpoint: https://p.example.com, auth: {type: basic, username: u, password: {ssmParameter: /canaria/prom}}}]';
    expect(checkDeployAccounts(environments(refs))).toEqual({ errors: [], warnings: [] });
  });

  it('passes the accounts example of docs/deploy.md as it stands', () => {
    const doc = readFileSync(join(repoRoot, 'docs/deploy.md'), 'utf8');
    const example = /cat > accounts\.yaml <<'EOF'\n([\s\S]*?)\nEOF\n/.exec(doc)?.[1];
    expect(example, 'a heredoc writing accounts.yaml').toBeDefined();
    expect(example).toMatch(/type: prometheus/);
    expect(example).toMatch(/type: cloudwatch/);
    expect(checkDeployAccounts(environments(example))).toEqual({ errors: [], warnings: [] });
  });
});

describe('the osls plugin serverless-accounts.cjs', () => {
  const Plugin = createRequire(import.meta.url)(join(repoRoot, 'serverless-accounts.cjs'));
  class ServerlessError extends Error {}

  async function runHook(accounts: string | undefined) {
    const envs = environments(accounts);
    const warnings: string[] = [];
    const serverless = {
      classes: { Error: ServerlessError },
      service: {
        provider: { environment: { NODE_OPTIONS: '--enable-source-maps' } },
        getAllFunctions: () => Object.keys(envs),
        getFunction: (name: string) => ({ environment: envs[name] }),
      },
    };
    const plugin = new Plugin(serverless, {}, { log: { warning: (w: string) => warnings.push(w) } });
    expect(Object.keys(plugin.hooks)).toEqual(['before:package:initialize', 'before:deploy:function:initialize']);
    await plugin.hooks['before:package:initialize']();
    return warnings;
  }

  it('runs on a Node with TypeScript type stripping (the project’s Node 22)', () => {
    expect(process.features.typescript).toBeTruthy();
  });

  it('logs the warning and lets packaging go on when CANARIA_ACCOUNTS is empty or unset', async () => {
    expect(await runHook('')).toEqual([NO_ACCOUNTS_WARNING]);
    expect(await runHook(undefined)).toEqual([NO_ACCOUNTS_WARNING]);
    expect(await runHook(VALID)).toEqual([]);
  });

  it("throws osls's error class with the parser's lines when it is invalid", async () => {
    const failure = runHook('accounts: [{name: p, type: prometheus}]');
    await expect(failure).rejects.toBeInstanceOf(ServerlessError);
    await expect(failure).rejects.toThrow(/^CANARIA_ACCOUNTS: accounts\[0\]\.endpoint: /);
  });
});

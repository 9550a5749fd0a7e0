import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/api/routes.ts';
import { PermissionAnalysis } from './derive-permissions.ts';
import { packagedStack, repoRoot, TEST_ACCOUNTS } from './package.ts';
import type { Json } from './template.ts';
import { readZip } from './zip.ts';

// The Lambda zips `serverless package` writes: one CommonJS bundle per function with the AWS
// SDK inside it, at the version package-lock.json pins (the version the tests ran), tree-shaken
// to the commands the code constructs. Sizes and start times: npm run bench:coldstart.

const DEV_ONLY = ['dynalite', 's3rver', 'classic-level'];

/**
 * Commands the SDK brings in itself: S3 Express sessions, DynamoDB endpoint discovery, and the
 * Query and Scan paginators lib-dynamodb's document client module imports.
 */
const SDK_INTERNAL: Record<string, string[]> = {
  '@aws-sdk/client-s3': ['CreateSessionCommand'],
  '@aws-sdk/client-dynamodb': ['DescribeEndpointsCommand', 'QueryCommand', 'ScanCommand'],
};

/** Optional packages the SDK require()s inside a try, not installed, and does without (SigV4a signing, for multi-region access points). */
const OPTIONAL_SDK = ['@aws-sdk/signature-v4-crt', '@aws-sdk/signature-v4a'];

// No client is import()ed: esbuild would keep all of its commands (it does not tree-shake what it
// wraps for lazy evaluation), so clients are imported statically and the test below holds.

/** lib-dynamodb's document commands are DynamoDB API commands underneath. */
const DOCUMENT_COMMANDS: Record<string, string> = {
  PutCommand: 'PutItemCommand',
  GetCommand: 'GetItemCommand',
  DeleteCommand: 'DeleteItemCommand',
  UpdateCommand: 'UpdateItemCommand',
  QueryCommand: 'QueryCommand',
  ScanCommand: 'ScanCommand',
};

const stack = packagedStack(TEST_ACCOUNTS);
const functions = Object.entries<Json>(stack.template.Resources)
  .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
  .map(([, r]) => {
    const zip: string = r.Properties.Code.S3Key.split('/').pop();
    const handler: string = r.Properties.Handler;
    const base = handler.slice(0, handler.lastIndexOf('.'));
    return { fn: zip.replace(/\.zip$/, ''), zip: join(stack.dir, zip), base, source: `${base}.ts` };
  });
const analysis = new PermissionAnalysis([...new Set(functions.map((f) => f.source))], Object.keys(ROUTES));
const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8'));

/** The files a bundle was built from, from its source map, as paths under node_modules where they are. */
function bundled(zip: string, base: string): { code: string; sources: string[] } {
  const entries = readZip(zip);
  const code = entries.find((e) => e.name === `${base}.cjs`);
  const map = entries.find((e) => e.name === `${base}.cjs.map`);
  expect(code, `${base}.cjs in ${zip}`).toBeDefined();
  expect(map, `${base}.cjs.map in ${zip}`).toBeDefined();
  const sources: string[] = JSON.parse(map!.read().toString('utf8')).sources;
  return { code: code!.read().toString('utf8'), sources: sources.map((s) => s.replace(/^.*?node_modules\//, 'node_modules/')) };
}

const packageOf = (source: string) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source)?.[1];

describe.each(functions)('$fn.zip', ({ fn, zip, base, source }) => {
  const { code, sources } = bundled(zip, base);

  it('holds one CommonJS bundle (and its source map) and no node_modules', () => {
    const names = readZip(zip).map((e) => e.name);
    expect(names.sort()).toEqual([`${base}.cjs`, `${base}.cjs.map`]);
    // CommonJS: no ES module syntax left at the top level (esbuild converted it).
    expect(code.match(/^(import|export)\s.{0,60}/gm) ?? []).toEqual([]);
    // Backstop only (today 0.6 to 1 MB, most of it the AWS SDK): raise deliberately.
    expect(statSync(zip).size).toBeLessThan(2 * 1024 * 1024);
  });

  it('bundles the AWS SDK at the version package-lock.json pins, and no dev-only emulator', () => {
    // Nothing is left for the runtime to provide.
    const required = [...code.matchAll(/require\(["'](@aws-sdk\/[^"']*)["']\)/g)].map((m) => m[1]).filter((p) => !OPTIONAL_SDK.includes(p));
    expect(required).toEqual([]);
    for (const name of DEV_ONLY) expect(code.includes(`require("${name}")`), `${fn} bundle requires ${name}`).toBe(false);
    const packages = new Set(sources.map(packageOf).filter((p): p is string => !!p));
    for (const name of DEV_ONLY) expect(packages.has(name), name).toBe(false);
    const sdk = [...packages].filter((p) => p.startsWith('@aws-sdk/'));
    for (const pkg of sdk) {
      const installed = JSON.parse(readFileSync(join(repoRoot, 'node_modules', pkg, 'package.json'), 'utf8')).version;
      expect(installed, `${pkg} installed as package-lock.json says`).toBe(lock.packages[`node_modules/${pkg}`]?.version);
    }
  });

  it('bundles the SDK clients its code imports, with only the commands the code constructs', () => {
    const inputs = analysis.bundleInputs(source);
    const clientsBundled = new Set(sources.map(packageOf).filter((p): p is string => !!p && /^@aws-sdk\/(client-|lib-dynamodb$)/.test(p)));
    const clientsImported = new Set([...inputs.packages, ...inputs.dynamicPackages].filter((p) => /^@aws-sdk\/(client-|lib-dynamodb$)/.test(p)));
    // lib-dynamodb brings the DynamoDB client with it.
    if (clientsImported.has('@aws-sdk/lib-dynamodb')) clientsImported.add('@aws-sdk/client-dynamodb');
    expect([...clientsBundled].sort()).toEqual([...clientsImported].sort());

    for (const client of clientsBundled) {
      if (client === '@aws-sdk/lib-dynamodb') continue;
      const commands = new Set(
        sources.filter((s) => s.startsWith(`node_modules/${client}/`) && /\/commands\/\w+Command\.js$/.test(s)).map((s) => s.split('/').pop()!.replace(/\.js$/, '')),
      );
      const constructed = [...(inputs.commands.get(client) ?? [])];
      if (client === '@aws-sdk/client-dynamodb') constructed.push(...[...(inputs.commands.get('@aws-sdk/lib-dynamodb') ?? [])].map((c) => DOCUMENT_COMMANDS[c] ?? c));
      const expected = new Set([...constructed, ...(SDK_INTERNAL[client] ?? [])]);
      // A command constructed only in top-level functions the bundle does not hold (esbuild
      // dropped them, unused: names are kept, so a function in the bundle is found by its name)
      // is rightly absent.
      const pkgOf = (command: string) => (client === '@aws-sdk/client-dynamodb' && !inputs.constructedIn.has(`${client} ${command}`) ? '@aws-sdk/lib-dynamodb' : client);
      const docName = (command: string) => Object.entries(DOCUMENT_COMMANDS).find(([, api]) => api === command)?.[0] ?? command;
      const dropped = (command: string) => {
        const sites = inputs.constructedIn.get(`${pkgOf(command)} ${pkgOf(command) === client ? command : docName(command)}`);
        return !!sites && [...sites].every((f) => f !== '' && !new RegExp(`\\bfunction ${f}\\b`).test(code));
      };
      for (const c of [...expected]) if (!commands.has(c) && dropped(c)) expected.delete(c);
      expect([...commands].sort(), `${client} commands in the ${fn} bundle`).toEqual([...expected].sort());
    }
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAccounts } from '../../lib/config/accounts.ts';
import { checkDeployAccounts } from '../../lib/config/deploy-accounts.ts';
import { packagedStack, repoRoot, TEST_ACCOUNTS } from './package.ts';
import { asArray, normalize, type Json } from './template.ts';

// The stack's role patterns, the examples and the docs agree: every role, secret and parameter
// an example accounts file names is one the packaged stack's roles may use, and the accounts
// file docs/deploy.md gives for AWS passes the deploy check without a warning.

/** Files whose accounts examples must work with the stack as deployed. */
const FILES = ['examples/accounts.yaml', 'docs/deploy.md', 'docs/metrics.md', 'README.md'];

const text = (file: string) => readFileSync(join(repoRoot, file), 'utf8');
const resources: Record<string, Json> = packagedStack(TEST_ACCOUNTS).template.Resources;

/** The resource patterns the roles grant `action` on, as regular expressions over real ARNs (partition aws). */
function grantedPatterns(action: string): RegExp[] {
  const out: RegExp[] = [];
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Role') continue;
    for (const p of asArray<Json>(r.Properties.Policies)) {
      for (const st of asArray<Json>(p.PolicyDocument.Statement)) {
        if (!asArray(st.Action).includes(action)) continue;
        for (const res of asArray(st.Resource)) {
          const arn = normalize(res).replaceAll('${AWS::Partition}', 'aws').replaceAll('${AWS::AccountId}', '\\d{12}');
          const escaped = arn.split('\\d{12}').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*'));
          out.push(new RegExp(`^${escaped.join('\\d{12}')}$`));
        }
      }
    }
  }
  expect(out.length, `some role allows ${action}`).toBeGreaterThan(0);
  return out;
}

/** Every value of `key: value` in a file, commented out or not (the examples show options as comments). */
function valuesOf(file: string, key: string): string[] {
  // Placeholders (`arn:aws:secretsmanager:...`) are not examples.
  return [...text(file).matchAll(new RegExp(`\\b${key}:\\s*([^\\s,}]+)`, 'g'))].map((m) => m[1]).filter((v) => !v.includes('...'));
}

describe('the examples name what the stack may use', () => {
  it.each(FILES)('%s: every roleArn is a role the stack may assume', (file) => {
    const allowed = grantedPatterns('sts:AssumeRole');
    for (const arn of valuesOf(file, 'roleArn').filter((v) => v.startsWith('arn:'))) {
      expect(allowed.some((re) => re.test(arn)), `${file}: ${arn} is not a role the stack's roles may assume`).toBe(true);
    }
  });

  it.each(FILES)('%s: every secretArn is a secret the stack may read', (file) => {
    const allowed = grantedPatterns('secretsmanager:GetSecretValue');
    for (const arn of valuesOf(file, 'secretArn').filter((v) => v.startsWith('arn:'))) {
      expect(allowed.some((re) => re.test(arn)), `${file}: ${arn}`).toBe(true);
    }
  });

  it.each(FILES)('%s: every ssmParameter is a parameter the stack may read', (file) => {
    const allowed = grantedPatterns('ssm:GetParameter');
    for (const name of valuesOf(file, 'ssmParameter').filter((v) => v.startsWith('/') || v.startsWith('arn:'))) {
      const arn = name.startsWith('arn:') ? name : `arn:aws:ssm:eu-west-1:123456789012:parameter${name}`;
      expect(allowed.some((re) => re.test(arn)), `${file}: ${name}`).toBe(true);
    }
  });

  it('examples/accounts.yaml names the role of its comment in the pattern it states, and parses', () => {
    expect(valuesOf('examples/accounts.yaml', 'roleArn')).toEqual(['arn:aws:iam::123456789012:role/canaria-metrics-read']);
    expect(parseAccounts(text('examples/accounts.yaml'), 'examples/accounts.yaml').accounts.map((a) => a.name)).toEqual(['prometheus', 'cloudwatch']);
  });
});

describe("docs/deploy.md's accounts file", () => {
  it('is one the deploy check passes without a warning ({env} secrets and local endpoints would warn)', () => {
    const block = text('docs/deploy.md').match(/cat > accounts\.yaml <<'EOF'\n([\s\S]*?)\nEOF/);
    expect(block, 'the accounts.yaml heredoc in docs/deploy.md').not.toBeNull();
    const env = { CANARIA_ACCOUNTS: block![1], CANARIA_BUCKET: { Ref: 'CanariaBucket' }, CANARIA_TABLE: { Ref: 'CanariaTable' } };
    expect(checkDeployAccounts({ metrics: env, fetch: env })).toEqual({ errors: [], warnings: [] });
  });

  it('says {env: NAME} secrets are not for AWS', () => {
    const row = text('docs/deploy.md').split('\n').find((l) => l.startsWith('| `{env: NAME}`'));
    expect(row).toMatch(/\*\*not on AWS\*\*/);
  });
});

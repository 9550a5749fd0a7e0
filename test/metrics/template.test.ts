// Kayenta's StringSubstitutor behaviour (metric-sources-spec.md §1.3 table).
import { describe, expect, it } from 'vitest';
import { expandTemplate, scopeBindings, substitute } from '../../lib/metrics/template.ts';

const b = (o: Record<string, string>) => new Map(Object.entries(o));

describe('template substitution', () => {
  it.each([
    ['{job="x",${scope}}', { scope: 'version="canary"' }, '{job="x",version="canary"}'],
    ['a=${missing:-dflt}', {}, 'a=dflt'],
    ['a=$${scope}', { scope: 'x' }, 'a=${scope}'],
    ['a=${empty}', { empty: '' }, 'a='],
    ['a=${rec}', { rec: '${location}', location: 'us-east-1' }, 'a=us-east-1'],
    ['a=${scope', { scope: 'x' }, 'a=${scope'],
    ['x $ y $$ z', {}, 'x $ y $$ z'],
    ['test template ${p1} ${p2} $\\{p1} $\\{p2}', { p1: 'v1', p2: 'v2' }, 'test template v1 v2 v1 v2'],
  ])('%s', (template, bindings, want) => {
    expect(expandTemplate(template, b(bindings))).toBe(want);
  });

  it.each([
    ['a=${missing}', {}, "Cannot resolve variable 'missing'"],
    ['a=${self}', { self: '${self}' }, 'Infinite loop'],
    ['a=${ scope }', { scope: 'x' }, "Cannot resolve variable ' scope '"],
  ])('%s fails', (template, bindings, reason) => {
    expect(() => substitute(template, b(bindings))).toThrow(reason);
    expect(() => expandTemplate(template, b(bindings))).toThrow(`Problem evaluating custom filter template: ${template}`);
  });

  it('binds non-empty scope attributes, then the extras, then every extendedScopeParam', () => {
    const bindings = scopeBindings(
      { scope: '', location: 'eu-west-1', extendedScopeParams: { namespace: 'prod', empty: '', location: 'override' } },
      { resourceType: 'aws_ec2_instance' },
    );
    expect(Object.fromEntries(bindings)).toEqual({ location: 'override', resourceType: 'aws_ec2_instance', namespace: 'prod', empty: '' });
  });
});

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { packagedStack, TEST_ACCOUNTS } from './package.ts';
import type { Json } from './template.ts';

// The packaged template against the CloudFormation resource specification (@aws-cdk/cfnspec):
// resource types, property names, required properties and value types, nested property types
// included; GetAtt attributes; every intrinsic reference (Ref, Fn::GetAtt, Fn::Sub variables,
// conditions, DependsOn) resolves to a resource, parameter, pseudo parameter or condition of the
// template; and the state machine's definition, once its substitutions are made, is valid
// Amazon States Language (asl-validator). What CloudFormation would refuse at deploy time is
// refused here, offline.

const require = createRequire(import.meta.url);
interface PropertySpec {
  PrimitiveType?: string;
  Type?: string;
  ItemType?: string;
  PrimitiveItemType?: string;
  Required?: boolean;
}
interface TypeSpec {
  Properties?: Record<string, PropertySpec>;
  Attributes?: Record<string, unknown>;
}
const spec: { ResourceSpecificationVersion: string; ResourceTypes: Record<string, TypeSpec>; PropertyTypes: Record<string, TypeSpec> } = require(
  '@aws-cdk/cfnspec/spec/specification.json',
);
const aslValidator: (definition: unknown) => { isValid: boolean; errorsText: (sep?: string) => string } = require('asl-validator');

const PSEUDO = new Set(['AWS::AccountId', 'AWS::NoValue', 'AWS::NotificationARNs', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix']);
const RESOURCE_ATTRIBUTES = new Set(['Type', 'Properties', 'DependsOn', 'DeletionPolicy', 'UpdateReplacePolicy', 'Condition', 'Metadata', 'CreationPolicy', 'UpdatePolicy']);
const PARAMETER_TYPES = new Set(['String', 'Number', 'List<Number>', 'CommaDelimitedList']);

const template: Json = packagedStack(TEST_ACCOUNTS).template;
const resources: Record<string, Json> = template.Resources;
const parameters: Record<string, Json> = template.Parameters ?? {};
const conditions: Record<string, Json> = template.Conditions ?? {};

const isIntrinsic = (v: Json) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && /^(Ref|Fn::\w+|Condition)$/.test(Object.keys(v)[0]);

/** Problems of `value` against the property spec, at `path`. */
function checkValue(value: Json, prop: PropertySpec, resourceType: string, path: string, out: string[]): void {
  if (isIntrinsic(value)) {
    // Fn::If: each branch must be a value of the property's type (or AWS::NoValue).
    if ('Fn::If' in value) for (const branch of value['Fn::If'].slice(1)) if (!(branch?.Ref === 'AWS::NoValue')) checkValue(branch, prop, resourceType, path, out);
    return;
  }
  if (prop.PrimitiveType) return checkPrimitive(value, prop.PrimitiveType, path, out);
  if (prop.Type === 'List' || prop.Type === 'Map') {
    const items = prop.Type === 'List' ? value : value;
    if (prop.Type === 'List' && !Array.isArray(items)) return void out.push(`${path}: a list expected`);
    if (prop.Type === 'Map' && (typeof items !== 'object' || Array.isArray(items))) return void out.push(`${path}: a map expected`);
    for (const [k, item] of Object.entries<Json>(items)) {
      const at = `${path}[${k}]`;
      if (prop.PrimitiveItemType) {
        if (!isIntrinsic(item)) checkPrimitive(item, prop.PrimitiveItemType, at, out);
      } else if (prop.ItemType) checkStruct(item, prop.ItemType, resourceType, at, out);
    }
    return;
  }
  if (prop.Type) checkStruct(value, prop.Type, resourceType, path, out);
}

function checkPrimitive(value: Json, type: string, path: string, out: string[]): void {
  const ok =
    type === 'Json'
      ? true
      : type === 'Boolean'
        ? typeof value === 'boolean' || value === 'true' || value === 'false'
        : type === 'Integer' || type === 'Long'
          ? Number.isInteger(Number(value)) && typeof value !== 'boolean' && value !== ''
          : type === 'Double'
            ? Number.isFinite(Number(value)) && typeof value !== 'boolean' && value !== ''
            : typeof value === 'string' || typeof value === 'number'; // String, Timestamp: CloudFormation takes numbers as strings
  if (!ok) out.push(`${path}: ${JSON.stringify(value)} is not of type ${type}`);
}

function checkStruct(value: Json, typeName: string, resourceType: string, path: string, out: string[]): void {
  const struct = spec.PropertyTypes[`${resourceType}.${typeName}`] ?? spec.PropertyTypes[typeName];
  if (!struct) return void out.push(`${path}: property type ${typeName} of ${resourceType} is not in the specification`);
  if (isIntrinsic(value)) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return void out.push(`${path}: an object (${typeName}) expected`);
  checkProperties(value, struct.Properties ?? {}, resourceType, path, out);
}

function checkProperties(value: Record<string, Json>, props: Record<string, PropertySpec>, resourceType: string, path: string, out: string[]): void {
  for (const [name, v] of Object.entries(value)) {
    const prop = props[name];
    if (!prop) out.push(`${path}.${name}: no such property in the specification`);
    else checkValue(v, prop, resourceType, `${path}.${name}`, out);
  }
  for (const [name, prop] of Object.entries(props)) if (prop.Required && !(name in value)) out.push(`${path}.${name}: required, missing`);
}

/** Every intrinsic reference in `value` that does not resolve. */
function unresolved(value: Json, path: string, out: string[]): void {
  if (Array.isArray(value)) return value.forEach((v, i) => unresolved(v, `${path}[${i}]`, out));
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries<Json>(value)) {
    const at = `${path}.${k}`;
    if (k === 'Ref') {
      if (typeof v !== 'string' || !(v in resources || v in parameters || PSEUDO.has(v))) out.push(`${at}: Ref ${JSON.stringify(v)} is no resource, parameter or pseudo parameter`);
    } else if (k === 'Fn::GetAtt') {
      const [id, attr] = Array.isArray(v) ? v : String(v).split(/\.(.*)/);
      checkGetAtt(id, attr, at, out);
    } else if (k === 'Fn::Sub') {
      const [text, vars] = typeof v === 'string' ? [v, {}] : v;
      for (const m of String(text).matchAll(/\$\{([^}]+)\}/g)) {
        const name = m[1];
        if (name.startsWith('!') || name in vars) continue;
        if (name.includes('.')) {
          const [id, attr] = name.split(/\.(.*)/);
          checkGetAtt(id, attr, at, out);
        } else if (!(name in resources || name in parameters || PSEUDO.has(name))) out.push(`${at}: \${${name}} is no resource, parameter or pseudo parameter`);
      }
      unresolved(vars, at, out);
    } else if (k === 'Fn::If' || k === 'Condition') {
      const name = k === 'Fn::If' ? v[0] : v;
      if (typeof name === 'string' && !(name in conditions)) out.push(`${at}: condition ${name} is not defined`);
      if (k === 'Fn::If') unresolved(v.slice(1), at, out);
    } else unresolved(v, at, out);
  }
}

function checkGetAtt(id: string, attr: string, at: string, out: string[]): void {
  const r = resources[id];
  if (!r) return void out.push(`${at}: GetAtt of ${id}, no resource of the template`);
  const attributes = spec.ResourceTypes[r.Type]?.Attributes ?? {};
  if (!(attr in attributes)) out.push(`${at}: ${r.Type} has no attribute ${attr} (it has ${Object.keys(attributes).join(', ') || 'none'})`);
}

describe(`the packaged template against the CloudFormation resource specification ${spec.ResourceSpecificationVersion}`, () => {
  it('has only resource types of the specification, with their attributes only', () => {
    const problems: string[] = [];
    for (const [id, r] of Object.entries(resources)) {
      if (!spec.ResourceTypes[r.Type]) problems.push(`${id}: type ${r.Type} is not in the specification`);
      for (const key of Object.keys(r)) if (!RESOURCE_ATTRIBUTES.has(key)) problems.push(`${id}: ${key} is no resource attribute`);
      for (const policy of ['DeletionPolicy', 'UpdateReplacePolicy']) {
        if (r[policy] !== undefined && !['Delete', 'Retain', 'Snapshot', 'RetainExceptOnCreate'].includes(r[policy])) problems.push(`${id}.${policy}: ${r[policy]}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(Object.keys(resources))('%s: property names, required properties and value types', (id) => {
    const r = resources[id];
    const type = spec.ResourceTypes[r.Type];
    const problems: string[] = [];
    if (type) checkProperties(r.Properties ?? {}, type.Properties ?? {}, r.Type, id, problems);
    expect(problems).toEqual([]);
  });

  it('has parameters of CloudFormation types with defaults, and conditions made of condition functions', () => {
    for (const [name, p] of Object.entries(parameters)) {
      expect(PARAMETER_TYPES.has(p.Type) || /^AWS::/.test(p.Type), `${name}: type ${p.Type}`).toBe(true);
      expect(p.Default, `${name}: a default, so that a deploy without it works`).toBeDefined();
      if (p.Type === 'Number') expect(Number.isFinite(Number(p.Default)), `${name}: default ${p.Default}`).toBe(true);
    }
    for (const [name, c] of Object.entries(conditions)) {
      expect(Object.keys(c), name).toHaveLength(1);
      expect(['Fn::And', 'Fn::Equals', 'Fn::If', 'Fn::Not', 'Fn::Or', 'Condition']).toContain(Object.keys(c)[0]);
    }
  });
});

describe('every intrinsic reference resolves', () => {
  it('Ref, Fn::GetAtt, Fn::Sub variables and condition names in resources, conditions and outputs', () => {
    const problems: string[] = [];
    unresolved(resources, 'Resources', problems);
    unresolved(conditions, 'Conditions', problems);
    unresolved(template.Outputs ?? {}, 'Outputs', problems);
    for (const [id, r] of Object.entries(resources)) {
      for (const dep of [r.DependsOn ?? []].flat()) if (!(dep in resources)) problems.push(`${id}.DependsOn: ${dep} is no resource`);
      if (r.Condition !== undefined && !(r.Condition in conditions)) problems.push(`${id}.Condition: ${r.Condition} is not defined`);
    }
    expect(problems).toEqual([]);
  });

  it('catches one that does not (the checker itself)', () => {
    const problems: string[] = [];
    unresolved({ a: { Ref: 'Nothing' }, b: { 'Fn::GetAtt': ['CanariaBucket', 'Nope'] }, c: { 'Fn::Sub': 'x-${Missing}-${AWS::Region}-${!Literal}' } }, 'T', problems);
    expect(problems).toEqual([
      'T.a.Ref: Ref "Nothing" is no resource, parameter or pseudo parameter',
      expect.stringMatching(/^T\.b\.Fn::GetAtt: AWS::S3::Bucket has no attribute Nope/),
      'T.c.Fn::Sub: ${Missing} is no resource, parameter or pseudo parameter',
    ]);
  });
});

describe('the state machine', () => {
  const machines = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');

  it.each(machines.map(([id]) => id))('%s: its definition, with its substitutions made, is valid Amazon States Language', (id) => {
    const { Definition, DefinitionSubstitutions = {} } = resources[id].Properties;
    expect(Definition, 'an inline definition').toBeTypeOf('object');
    // As CloudFormation substitutes: each ${name} by its value (a Lambda ARN here).
    const arnOf = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:canaria-test-${name}`;
    const used = new Set<string>();
    const text = JSON.stringify(Definition).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      used.add(name);
      return name in DefinitionSubstitutions ? arnOf(name) : `\${${name}}`;
    });
    expect([...used].filter((n) => !(n in DefinitionSubstitutions)), 'variables without a substitution').toEqual([]);
    expect(Object.keys(DefinitionSubstitutions).filter((n) => !used.has(n)), 'substitutions never used').toEqual([]);
    const result = aslValidator(JSON.parse(text));
    expect(result.errorsText('\n'), 'asl-validator').toBe(result.isValid ? result.errorsText('\n') : '');
    expect(result.isValid).toBe(true);
  });

  it('asl-validator refuses a broken definition (the check itself)', () => {
    const [id] = machines[0];
    const broken = structuredClone(resources[id].Properties.Definition);
    broken.StartAt = 'NoSuchState';
    expect(aslValidator(broken).isValid).toBe(false);
  });
});

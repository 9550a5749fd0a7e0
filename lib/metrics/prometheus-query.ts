// PromQL exactly as Kayenta builds it (metric-sources-spec.md §1.3–1.5), plus canaria's guard:
// a scope value may only add label matchers, never change the query's structure.
import { parser } from '@prometheus-io/lezer-promql';
import type { z } from 'zod';
import type { prometheusQuerySchema } from '../config/canary-config.ts';
import { BadRequestError } from '../errors.ts';
import { expandTemplate, scopeBindings } from './template.ts';
import type { CanaryScope } from './types.ts';

export type PrometheusQuery = z.output<typeof prometheusQuerySchema>;

/** A scope value that would change the query's structure; `field` is relative to the scope. */
export class ScopeInjectionError extends BadRequestError {
  readonly field: string;
  constructor(field: string, query: string) {
    super(`${field}: the value may only add label matchers, but it changes the structure of the query: ${query}`);
    this.field = field;
  }
}

/** Kayenta's default scopeLabel (kayenta.prometheus.scopeLabel), used by gce_instance. */
const SCOPE_LABEL = 'instance';

/** Java's String.split(","): trailing empty pieces dropped, nothing trimmed. */
function javaSplitComma(s: string): string[] {
  const parts = s.split(',');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

interface Values {
  bindings: Map<string, string>;
  scope: string;
  location: string;
  project: string;
  resourceType: string;
}

function valuesOf(q: PrometheusQuery, scope: CanaryScope): Values {
  const resourceType = q.resourceType?.trim() ? q.resourceType : (scope.extendedScopeParams?.resourceType ?? '');
  return {
    bindings: scopeBindings(scope, { resourceType: q.resourceType }),
    scope: scope.scope ?? '',
    location: scope.location ?? '',
    project: scope.extendedScopeParams?.project ?? '',
    resourceType,
  };
}

function customFilter(q: PrometheusQuery, templates: Record<string, string> | undefined, bindings: Map<string, string>): string | undefined {
  let template: string;
  if (q.customInlineTemplate) template = q.customInlineTemplate;
  else if (q.customFilterTemplate) {
    if (!templates || Object.keys(templates).length === 0) {
      throw new BadRequestError(`Custom filter template '${q.customFilterTemplate}' was referenced, but no templates were defined.`);
    }
    // Own keys only: a template named "constructor" is not Object.prototype's.
    if (!Object.hasOwn(templates, q.customFilterTemplate)) throw new BadRequestError(`Custom filter template '${q.customFilterTemplate}' was not found.`);
    template = templates[q.customFilterTemplate];
  } else return undefined;
  return expandTemplate(template, bindings);
}

function compose(q: PrometheusQuery, templates: Record<string, string> | undefined, v: Values): string {
  // Kayenta's buildQuery, step by step (§1.4).
  const cf = customFilter(q, templates, v.bindings);
  if (cf && cf.startsWith('PromQL:')) return cf.substring(7);
  if (!q.metricName) throw new BadRequestError('Metric Name is required when query type is Default. (query.metricName: is required unless query.customInlineTemplate is a full "PromQL:" query)');
  const filters = [...(q.labelBindings ?? [])];
  if (!cf) {
    if (v.resourceType === 'gce_instance') {
      if (!v.location) throw new BadRequestError("Location (i.e. region) is required when resourceType is 'gce_instance'.");
      if (v.scope) filters.push(`${SCOPE_LABEL}=~"${v.scope}-.{4}"`);
      const projectPath = v.project ? `projects/${v.project}/` : '';
      filters.push(`zone=~".+/${projectPath}zones/${v.location}-.{1}"`);
    } else if (v.resourceType === 'aws_ec2_instance') {
      if (!v.location) throw new BadRequestError("Location (i.e. region) is required when resourceType is 'aws_ec2_instance'.");
      if (v.scope) filters.push(`asg_groupName="${v.scope}"`);
      filters.push(`zone=~"${v.location}.{1}"`);
    } else if (v.resourceType) {
      throw new BadRequestError(
        `There is no explicit support for resourceType '${v.resourceType}'. You may build whatever query makes sense for your environment via label bindings and custom filter templates.`,
      );
    } else {
      throw new BadRequestError(
        'Either a resource type or a custom filter is required. (query.metricName alone does not say which series are the control\'s and which the experiment\'s: set query.customInlineTemplate, e.g. "PromQL:avg(my_metric{${scope}})", query.customFilterTemplate, or query.resourceType: aws_ec2_instance or gce_instance)',
      );
    }
  } else {
    filters.unshift(...javaSplitComma(cf));
  }
  const selector = filters.length > 0 ? `${q.metricName}{${filters.join(',')}}` : q.metricName;
  const groupBy = q.groupByFields && q.groupByFields.length > 0 ? ` by (${q.groupByFields.join(',')})` : '';
  return `avg(${selector})${groupBy}`;
}

/**
 * The structure of a PromQL expression: node types, with label-matcher lists collapsed and
 * literal contents ignored (node types only), so filling a literal or adding matchers leaves
 * it unchanged. Undefined if unparsable.
 */
type Structure = { shape: string; nameMatchers: number } | undefined;

/** Parses are the costly part of a render (~0.2 ms each): the last STRUCTURES_KEPT are kept by query. */
const STRUCTURES_KEPT = 1000;
const structures = new Map<string, Structure>();

function structure(query: string): Structure {
  if (structures.has(query)) return structures.get(query);
  const parsed = parseStructure(query);
  if (structures.size >= STRUCTURES_KEPT) structures.delete(structures.keys().next().value!);
  structures.set(query, parsed);
  return parsed;
}

function parseStructure(query: string): Structure {
  let shape = '';
  let broken = false;
  let nameMatchers = 0;
  let collapsedDepth = 0;
  parser.parse(query).iterate({
    enter: (node) => {
      if (node.type.isError) broken = true;
      if (collapsedDepth > 0) {
        if (node.name === 'LabelName' && query.slice(node.from, node.to) === '__name__') nameMatchers++;
        collapsedDepth++;
        return;
      }
      shape += `${node.name}(`;
      if (node.name === 'LabelMatchers') collapsedDepth = 1;
    },
    leave: () => {
      if (collapsedDepth > 0) collapsedDepth--;
      if (collapsedDepth === 0) shape += ')';
    },
  });
  return broken ? undefined : { shape, nameMatchers };
}

/** The scope fields a template can see, with the path a user would fix. */
function scopeFields(scope: CanaryScope): Array<{ field: string; variable: string; value: string }> {
  const fields: Array<{ field: string; variable: string; value: string }> = [];
  if (scope.scope) fields.push({ field: 'scope', variable: 'scope', value: scope.scope });
  if (scope.location) fields.push({ field: 'location', variable: 'location', value: scope.location });
  for (const [k, value] of Object.entries(scope.extendedScopeParams ?? {})) {
    if (value) fields.push({ field: `extendedScopeParams.${k}`, variable: k, value });
  }
  return fields;
}

/** The PromQL Kayenta would build, unchecked (Kayenta's own tests use strings that are not PromQL). */
export function composePrometheusQuery(q: PrometheusQuery, templates: Record<string, string> | undefined, scope: CanaryScope): string {
  return compose(q, templates, valuesOf(q, scope));
}

/** Stand-ins for a value: something neutral for each place a value may legitimately stand. */
const NEUTRAL = ['', '0', 'x', '__canaria_probe__=""'];

/**
 * The PromQL Kayenta would send for this query and scope, checked: Kayenta's render errors,
 * an unparsable result, or a scope value that does more than fill a literal or add label
 * matchers (ScopeInjectionError, naming the field) are all BadRequestErrors.
 */
export function buildPrometheusQuery(q: PrometheusQuery, templates: Record<string, string> | undefined, scope: CanaryScope): string {
  // What the query depends on: not the scope's time window, so every step of a rollout renders
  // the same queries. Only queries that passed the check are kept.
  const template = q.customFilterTemplate && templates && Object.hasOwn(templates, q.customFilterTemplate) ? templates[q.customFilterTemplate] : null;
  const key = JSON.stringify([q, template, scope.scope, scope.location, scope.extendedScopeParams]);
  let query = checkedQueries.get(key);
  if (query === undefined) {
    query = checkedQuery(q, templates, scope);
    if (checkedQueries.size >= MAX_CHECKED_QUERIES) checkedQueries.delete(checkedQueries.keys().next().value!);
    checkedQueries.set(key, query);
  }
  return query;
}

/** Rendered and checked queries (the check parses the query once per stand-in and scope value: ~30 µs). */
const checkedQueries = new Map<string, string>();
const MAX_CHECKED_QUERIES = 1000;

function checkedQuery(q: PrometheusQuery, templates: Record<string, string> | undefined, scope: CanaryScope): string {
  const values = valuesOf(q, scope);
  const query = compose(q, templates, values);
  const actual = structure(query);
  if (!actual) throw new BadRequestError(`The rendered query is not valid PromQL: ${query}`);
  for (const { field, variable } of scopeFields(scope)) {
    let composed = 0;
    const harmless = NEUTRAL.some((neutral) => {
      const probe: Values = { ...values, bindings: new Map(values.bindings).set(variable, neutral) };
      if (variable === 'scope') probe.scope = neutral;
      if (variable === 'location') probe.location = neutral;
      if (variable === 'project') probe.project = neutral;
      let probeQuery: string;
      try {
        probeQuery = compose(q, templates, probe);
      } catch {
        return false;
      }
      composed++;
      const expected = structure(probeQuery);
      return expected !== undefined && expected.shape === actual.shape && actual.nameMatchers <= expected.nameMatchers;
    });
    // A value no stand-in can replace (e.g. resourceType picks a branch) is not inserted.
    if (!harmless && composed > 0) throw new ScopeInjectionError(field, query);
  }
  return query;
}

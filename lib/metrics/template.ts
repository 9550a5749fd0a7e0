// Kayenta's custom filter templates: Apache commons-text StringSubstitutor semantics
// (metric-sources-spec.md §1.3): ${name}, ${name:-default}, $${name} for a literal,
// recursive values, and an unknown variable is an error.
import { BadRequestError } from '../errors.ts';

export class TemplateError extends BadRequestError {}

const MAX_DEPTH = 50;

/**
 * Characters a template may expand to. Values may refer to variables, so a few short scope
 * parameters that each double the one before would otherwise expand to gigabytes (a
 * "billion laughs"); no query comes near this.
 */
export const MAX_EXPANDED_CHARS = 100_000;

class ExpansionTooLarge extends Error {}

/** Every `$\{` (escaped by Kayenta tooling before Spinnaker's SpEL) back to `${`. */
export function unescapeTemplate(template: string): string {
  return template.replaceAll('$\\{', '${');
}

/**
 * Expands `template`; throws Error with StringSubstitutor's reason on failure. Each bound
 * variable is expanded once per call (`expanded`), so values that refer to one another many
 * times over cost as much as their number, not 2^depth.
 */
export function substitute(template: string, bindings: ReadonlyMap<string, string>, resolving: string[] = [], expanded = new Map<string, string>()): string {
  let out = '';
  let i = 0;
  const tooLarge = () => {
    if (out.length > MAX_EXPANDED_CHARS) {
      throw new ExpansionTooLarge(`the expansion exceeds ${MAX_EXPANDED_CHARS} characters${resolving.length > 0 ? ` (while expanding ${resolving.join('->')})` : ''}`);
    }
  };
  while (i < template.length) {
    tooLarge();
    const c = template[i];
    if (c === '$' && template[i + 1] === '$' && template[i + 2] === '{') {
      // Escaped: "$${x}" → "${x}", left unexpanded.
      const close = template.indexOf('}', i + 3);
      const end = close === -1 ? template.length : close + 1;
      out += template.slice(i + 1, end);
      i = end;
      continue;
    }
    if (c === '$' && template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      if (close === -1) {
        out += template.slice(i); // unclosed: kept as is
        break;
      }
      const body = template.slice(i + 2, close);
      const dflt = body.indexOf(':-');
      const name = dflt === -1 ? body : body.slice(0, dflt);
      let value = bindings.get(name);
      const bound = value !== undefined;
      if (value === undefined) {
        if (dflt === -1) throw new Error(`Cannot resolve variable '${name}' (enableSubstitutionInVariables=false).`);
        value = body.slice(dflt + 2);
      }
      if (resolving.includes(name) || resolving.length > MAX_DEPTH) {
        throw new Error(`Infinite loop in property interpolation of ${template}: ${[...resolving, name].join('->')}`);
      }
      // A bound variable's expansion is the same wherever it stands (a cycle through it would
      // have been found when it was first expanded).
      let expansion = bound ? expanded.get(name) : undefined;
      if (expansion === undefined) {
        expansion = substitute(value, bindings, [...resolving, name], expanded);
        if (bound) expanded.set(name, expansion);
      }
      out += expansion;
      i = close + 1;
      continue;
    }
    out += c;
    i++;
  }
  tooLarge();
  return out;
}

/** Expands a custom filter template as Kayenta does, with Kayenta's 400 message on failure. */
export function expandTemplate(template: string, bindings: ReadonlyMap<string, string>): string {
  const unescaped = unescapeTemplate(template);
  try {
    return substitute(unescaped, bindings);
  } catch (err) {
    throw new TemplateError(`Problem evaluating custom filter template: ${unescaped} (${(err as Error).message})`);
  }
}

/**
 * Template variables of a scope, lowest priority first: the scope attributes that are
 * non-empty, then `extra` (e.g. the query's resourceType) when non-empty, then every
 * extendedScopeParams entry, empty ones included.
 */
export function scopeBindings(
  scope: { scope?: string; location?: string; extendedScopeParams?: Record<string, string> },
  attributes: Record<string, string | undefined> = {},
): Map<string, string> {
  const b = new Map<string, string>();
  const bindIfSet = (k: string, v: string | undefined) => v !== undefined && v !== '' && b.set(k, v);
  bindIfSet('project', scope.extendedScopeParams?.project);
  bindIfSet('resourceType', scope.extendedScopeParams?.resourceType);
  bindIfSet('scope', scope.scope);
  bindIfSet('location', scope.location);
  for (const [k, v] of Object.entries(attributes)) bindIfSet(k, v);
  for (const [k, v] of Object.entries(scope.extendedScopeParams ?? {})) b.set(k, v);
  return b;
}

/** The variables a template refers to (`${name}` and `${name:-default}`; `$${x}` is a literal). */
export function templateVariables(template: string): string[] {
  const names = new Set<string>();
  for (const m of unescapeTemplate(template).matchAll(/(\$?)\$\{([^}:]*)(?::-[^}]*)?\}/g)) if (!m[1]) names.add(m[2]);
  return [...names];
}

// Kayenta's MetricSetMixerService (metric-sources-spec.md §2): control and experiment
// MetricSets paired by metric name and tags, each side NaN-padded to its own expected length.
// Pairings that leave a side without data are reported, not silently dropped.
import { randomUUID } from 'node:crypto';
import type { MetricSet, MixedMetricSetPair } from './types.ts';

export class MixError extends Error {}

export interface MixResult {
  pairs: MixedMetricSetPair[];
  /** One line per pairing problem, for the preview and the pair attributes. */
  problems: string[];
}

const tagKey = (tags: Record<string, string>) => JSON.stringify(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
const isEmpty = (tags: Record<string, string>) => Object.keys(tags).length === 0;
const showTags = (tags: Record<string, string>) => `{${Object.entries(tags).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;

/** Kayenta's MetricSet.expectedDataPoints(). */
export function expectedDataPoints(set: MetricSet): number {
  return set.stepMillis === 0 ? 0 : Math.trunc((set.endTimeMillis - set.startTimeMillis) / set.stepMillis);
}

function template(like: MetricSet, tags: Record<string, string>, note: string): MetricSet {
  return { ...like, tags, values: new Array(expectedDataPoints(like)).fill(NaN), attributes: { ...like.attributes, pairing: note } };
}

function padded(set: MetricSet): number[] {
  const n = expectedDataPoints(set);
  return set.values.length >= n ? [...set.values] : [...set.values, ...new Array(n - set.values.length).fill(NaN)];
}

function mixOne(c: MetricSet, e: MetricSet, newId: () => string): MixedMetricSetPair {
  if (!c.name) throw new MixError('Control metric set name was not set.');
  if (!e.name) throw new MixError('Experiment metric set name was not set.');
  if (c.name !== e.name) throw new MixError(`Control metric set name '${c.name}' does not match experiment metric set name '${e.name}'.`);
  if (tagKey(c.tags) !== tagKey(e.tags)) {
    throw new MixError(`Control metric set tags ${showTags(c.tags)} do not match experiment metric set tags ${showTags(e.tags)}.`);
  }
  return {
    name: c.name,
    id: newId(),
    tags: c.tags,
    values: { control: padded(c), experiment: padded(e) },
    scopes: {
      control: { startTimeIso: c.startTimeIso, startTimeMillis: c.startTimeMillis, stepMillis: c.stepMillis },
      experiment: { startTimeIso: e.startTimeIso, startTimeMillis: e.startTimeMillis, stepMillis: e.stepMillis },
    },
    attributes: { control: c.attributes, experiment: e.attributes },
  };
}

function mixOneMetric(name: string, control: MetricSet[], experiment: MetricSet[], newId: () => string, problems: string[]): MixedMetricSetPair[] {
  const controlHasEmpty = control.some((s) => isEmpty(s.tags));
  const experimentHasEmpty = experiment.some((s) => isEmpty(s.tags));
  const noDataNote = (side: string, other: string, tags: Record<string, string>, dropped: number) => {
    const note = `no ${side} series with tags ${showTags(tags)}: the ${side} side is NaN${dropped > 0 ? ` (${dropped} ${side} values without matching tags discarded)` : ''}`;
    problems.push(`metric '${name}': ${note}; the ${other} series has no ${side} counterpart`);
    return note;
  };
  const valueCount = (sets: MetricSet[]) => sets.reduce((n, s) => n + s.values.length, 0);

  if (controlHasEmpty && !experimentHasEmpty) {
    return experiment.map((e) => mixOne(template(control[0], e.tags, noDataNote('control', 'experiment', e.tags, valueCount(control))), e, newId));
  }
  if (experimentHasEmpty && !controlHasEmpty) {
    return control.map((c) => mixOne(c, template(experiment[0], c.tags, noDataNote('experiment', 'control', c.tags, valueCount(experiment))), newId));
  }
  const allTags = new Map<string, Record<string, string>>();
  for (const s of [...control, ...experiment]) if (!allTags.has(tagKey(s.tags))) allTags.set(tagKey(s.tags), s.tags);
  return [...allTags.entries()].map(([key, tags]) => {
    const c = control.find((s) => tagKey(s.tags) === key) ?? template(control[0], tags, noDataNote('control', 'experiment', tags, 0));
    const e = experiment.find((s) => tagKey(s.tags) === key) ?? template(experiment[0], tags, noDataNote('experiment', 'control', tags, 0));
    return mixOne(c, e, newId);
  });
}

/** Pairs every metric's sets, metrics in config order. */
export function mixAll(
  metricNames: readonly string[],
  control: readonly MetricSet[],
  experiment: readonly MetricSet[],
  newId: () => string = randomUUID,
): MixResult {
  const pairs: MixedMetricSetPair[] = [];
  const problems: string[] = [];
  for (const name of metricNames) {
    const c = control.filter((s) => s.name === name);
    const e = experiment.filter((s) => s.name === name);
    if (c.length === 0) throw new MixError(`No control metrics found for ${name} and the metric service did not create a placeholder.`);
    if (e.length === 0) throw new MixError(`No experiment metrics found for ${name} and the metric service did not create a placeholder.`);
    const keys = (sets: MetricSet[]) => [...new Set(sets.flatMap((s) => Object.keys(s.tags)))].sort();
    const ck = keys(c);
    const ek = keys(e);
    if (ck.length > 0 && ek.length > 0 && JSON.stringify(ck) !== JSON.stringify(ek)) {
      throw new MixError(`Control metrics have different tag keys than the experiment tag set ([${ck.join(', ')}] != [${ek.join(', ')}]).`);
    }
    pairs.push(...mixOneMetric(name, c, e, newId, problems));
  }
  return { pairs, problems };
}

// Kayenta's MetricSetMixerService (metric-sources-spec.md §2): control and experiment
// MetricSets paired by metric name and tags, each side NaN-padded to its own expected length.
// Pairings that leave a side without data are reported, not silently dropped.
//
// Linear in the number of sets: each set's canonical tag key is computed once and the sides are
// paired through maps keyed by it. The work is a generator that stops after each pair, so
// mixAll runs it through at once (the preview: one metric, within the series cap) and
// mixAllYielding gives the event loop a turn whenever it has held it for a time slice.
import { randomUUID } from 'node:crypto';
import { TimeSlice } from './source.ts';
import type { MetricSet, MixedMetricSetPair } from './types.ts';

export class MixError extends Error {}

export interface MixResult {
  pairs: MixedMetricSetPair[];
  /** One line per pairing problem, for the preview and the pair attributes. */
  problems: string[];
}

const byKey = ([a]: [string, string], [b]: [string, string]) => (a < b ? -1 : a > b ? 1 : 0);
/** The tags in one canonical string: the same tags give the same key whatever their order. */
const tagKey = (tags: Record<string, string>) => JSON.stringify(Object.entries(tags).sort(byKey));
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

function mixOne(c: MetricSet, e: MetricSet, newId: () => string, tagsMatch?: boolean): MixedMetricSetPair {
  if (!c.name) throw new MixError('Control metric set name was not set.');
  if (!e.name) throw new MixError('Experiment metric set name was not set.');
  if (c.name !== e.name) throw new MixError(`Control metric set name '${c.name}' does not match experiment metric set name '${e.name}'.`);
  if (!(tagsMatch ?? tagKey(c.tags) === tagKey(e.tags))) {
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

/** The sets of each tag key, the first one kept when two sets have the same tags (as Kayenta's lookup). */
function indexByTags(sets: readonly MetricSet[]): Map<string, MetricSet> {
  const index = new Map<string, MetricSet>();
  for (const s of sets) {
    const key = tagKey(s.tags);
    if (!index.has(key)) index.set(key, s);
  }
  return index;
}

function* mixOneMetric(name: string, control: MetricSet[], experiment: MetricSet[], newId: () => string, out: MixResult): Generator<void> {
  const controlHasEmpty = control.some((s) => isEmpty(s.tags));
  const experimentHasEmpty = experiment.some((s) => isEmpty(s.tags));
  const noDataNote = (side: string, other: string, tags: Record<string, string>, dropped: number) => {
    const note = `no ${side} series with tags ${showTags(tags)}: the ${side} side is NaN${dropped > 0 ? ` (${dropped} ${side} values without matching tags discarded)` : ''}`;
    out.problems.push(`metric '${name}': ${note}; the ${other} series has no ${side} counterpart`);
    return note;
  };
  const valueCount = (sets: MetricSet[]) => sets.reduce((n, s) => n + s.values.length, 0);

  if (controlHasEmpty && !experimentHasEmpty) {
    const dropped = valueCount(control);
    for (const e of experiment) {
      out.pairs.push(mixOne(template(control[0], e.tags, noDataNote('control', 'experiment', e.tags, dropped)), e, newId, true));
      yield;
    }
    return;
  }
  if (experimentHasEmpty && !controlHasEmpty) {
    const dropped = valueCount(experiment);
    for (const c of control) {
      out.pairs.push(mixOne(c, template(experiment[0], c.tags, noDataNote('experiment', 'control', c.tags, dropped)), newId, true));
      yield;
    }
    return;
  }
  const controlByTags = indexByTags(control);
  const experimentByTags = indexByTags(experiment);
  // Control's tags first, then experiment's that control lacks, each in the order fetched.
  const keys = new Set([...controlByTags.keys(), ...experimentByTags.keys()]);
  for (const key of keys) {
    const c = controlByTags.get(key);
    const e = experimentByTags.get(key);
    const tags = (c ?? e)!.tags;
    out.pairs.push(
      mixOne(
        c ?? template(control[0], tags, noDataNote('control', 'experiment', tags, 0)),
        e ?? template(experiment[0], tags, noDataNote('experiment', 'control', tags, 0)),
        newId,
        true,
      ),
    );
    yield;
  }
}

function* mixSteps(metricNames: readonly string[], control: readonly MetricSet[], experiment: readonly MetricSet[], newId: () => string, out: MixResult): Generator<void> {
  const byName = (sets: readonly MetricSet[]) => {
    const groups = new Map<string, MetricSet[]>();
    for (const s of sets) {
      const group = groups.get(s.name);
      if (group) group.push(s);
      else groups.set(s.name, [s]);
    }
    return groups;
  };
  const controlByName = byName(control);
  const experimentByName = byName(experiment);
  for (const name of metricNames) {
    const c = controlByName.get(name) ?? [];
    const e = experimentByName.get(name) ?? [];
    if (c.length === 0) throw new MixError(`No control metrics found for ${name} and the metric service did not create a placeholder.`);
    if (e.length === 0) throw new MixError(`No experiment metrics found for ${name} and the metric service did not create a placeholder.`);
    const keys = (sets: MetricSet[]) => {
      const all = new Set<string>();
      for (const s of sets) for (const k of Object.keys(s.tags)) all.add(k);
      return [...all].sort();
    };
    const ck = keys(c);
    const ek = keys(e);
    if (ck.length > 0 && ek.length > 0 && JSON.stringify(ck) !== JSON.stringify(ek)) {
      throw new MixError(`Control metrics have different tag keys than the experiment tag set ([${ck.join(', ')}] != [${ek.join(', ')}]).`);
    }
    yield* mixOneMetric(name, c, e, newId, out);
  }
}

/** Pairs every metric's sets, metrics in config order. */
export function mixAll(
  metricNames: readonly string[],
  control: readonly MetricSet[],
  experiment: readonly MetricSet[],
  newId: () => string = randomUUID,
): MixResult {
  const out: MixResult = { pairs: [], problems: [] };
  for (const _ of mixSteps(metricNames, control, experiment, newId, out));
  return out;
}

/** mixAll, giving the event loop a turn whenever it has held it for `slice` (the analysis' Mix task). */
export async function mixAllYielding(
  metricNames: readonly string[],
  control: readonly MetricSet[],
  experiment: readonly MetricSet[],
  newId: () => string = randomUUID,
  slice: TimeSlice = new TimeSlice(),
): Promise<MixResult> {
  const out: MixResult = { pairs: [], problems: [] };
  for (const _ of mixSteps(metricNames, control, experiment, newId, out)) {
    if (slice.due()) await slice.pause();
  }
  return out;
}

// Burstiness is measured around the fitted rate ratio: a steady real difference is not burstiness
// (it would otherwise inflate the reported MDE and call clean data "bursty").
import { describe, expect, it } from 'vitest';
import { overdispersion } from '../../../lib/judge/canaria-v1/counts.ts';

const buckets = (experiment: number[], control: number[]) => ({
  eventsExperiment: experiment,
  eventsControl: control,
  exposureExperiment: experiment.map(() => 1000),
  exposureControl: control.map(() => 1000),
});

describe('overdispersion', () => {
  it('reads a steady ×3 difference as no burstiness at the fitted ratio, and as much at ratio 1', () => {
    const b = buckets(Array(20).fill(30), Array(20).fill(10));
    expect(overdispersion(b, 3)).toBe(0);
    expect(overdispersion(b, 1)!).toBeGreaterThan(5);
  });

  it('still sees bursts around the fitted ratio', () => {
    const experiment = Array.from({ length: 20 }, (_, t) => (t % 2 ? 0 : 60));
    const b = buckets(experiment, Array(20).fill(20));
    expect(overdispersion(b, 1.5)!).toBeGreaterThan(10);
  });

  it('has no value without a finite positive ratio (events on one side only)', () => {
    expect(overdispersion(buckets(Array(5).fill(3), Array(5).fill(0)), Infinity)).toBeNull();
  });
});

// kill -9 in the middle of writes and analyses (test/support/chaos.ts): after each restart every
// acknowledged config reads back, nothing half-written shows, names stay usable, no analysis is
// stuck. `npm run test:chaos` runs many more rounds and prints the figures.
import { expect, it } from 'vitest';
import { crashRounds } from '../support/chaos.ts';

it('loses nothing acknowledged and leaves nothing half-written across kill -9', async () => {
  const figures = await crashRounds({ rounds: 4, seed: 20261130 });
  console.log(`crash rounds: ${JSON.stringify({ ...figures, problems: figures.problems.length })}`);
  expect(figures.problems).toEqual([]);
  expect(figures.kills).toBe(4);
  expect(figures.acknowledged).toBeGreaterThan(0);
  expect(figures.interrupted).toBeGreaterThan(0); // the kills did land mid-write
}, 120_000);

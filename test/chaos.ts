// npm run test:chaos [-- ROUNDS]: many crash rounds (test/support/chaos.ts) and their figures.
import { crashRounds } from './support/chaos.ts';

const rounds = Number(process.argv[2] ?? 40);
const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
console.log(`canaria chaos: ${rounds} rounds of kill -9 during writes and analyses (seed ${seed})`);
const started = Date.now();
const f = await crashRounds({ rounds, seed, log: (line) => console.log(`  ${line}`) });
console.log(`kills ${f.kills}; acknowledged writes ${f.acknowledged}; interrupted writes ${f.interrupted}; lost ${f.lost}; half-written or unreadable ${f.broken}; stuck names ${f.stuckNames}; analyses ${f.analyses}, stuck ${f.stuckAnalyses}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
for (const p of f.problems) console.log(`  problem: ${p}`);
process.exit(f.lost + f.broken + f.stuckNames + f.stuckAnalyses === 0 ? 0 : 1);

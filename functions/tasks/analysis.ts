// Every task of the state machine in one module, for code that calls them directly (tests,
// scripts). The deployed functions each load their own task's module (serverless.yml), whose
// bundle holds only what that task uses.
export { handler as plan } from './plan.ts';
export { handler as fetch } from './fetch.ts';
export { handler as mixMetrics } from './mix.ts';
export { handler as judge } from './judge.ts';
export { handler as record } from './record.ts';
export { handler as recordFailure } from './record-failure.ts';

#!/usr/bin/env node
// canaria's command line. Runs on Node 22 (the node@22 devDependency), which loads the
// TypeScript sources directly, or a cached bundle of them (cli-bundle.js: a faster start).
import { loadMain } from './cli-bundle.js';

const { main } = await loadMain();

const code = await main(process.argv.slice(2));
process.exitCode = code;
// The command is done: once its output is written, nothing it left behind (a fetch of a failed
// analysis still waiting to retry, an idle socket) may hold the exit back.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((done) => stream.write('', done))));
process.exit(code);

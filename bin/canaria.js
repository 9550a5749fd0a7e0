#!/usr/bin/env node
// canaria's command line. Runs on Node 22 (the node@22 devDependency), which loads the
// TypeScript sources directly.
import { main } from '../lib/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));

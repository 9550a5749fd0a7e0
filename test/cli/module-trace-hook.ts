// Loaded with `node --import` by startup-modules.test.ts: records every module URL the process
// resolves (ESM imports and CommonJS require() alike, through module.registerHooks) and writes
// them, one per line, to the file named by CANARIA_MODULE_TRACE when the process exits.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const out = process.env.CANARIA_MODULE_TRACE;
const seen = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    seen.add(resolved.url);
    return resolved;
  },
});
process.on('exit', () => {
  if (out) writeFileSync(out, [...seen].join('\n') + '\n');
});

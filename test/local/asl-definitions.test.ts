// The state machine definitions the local service runs pass the ASL validator (the local
// machines skip it at start: lib/local/state-machine.ts, KNOWN_DEFINITION).
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { loadDefinition as canaryDefinition } from '../../lib/local/state-machine.ts';
import { loadDefinition as standaloneDefinition } from '../../lib/local/standalone-machine.ts';

describe('the local state machine definitions', () => {
  it.each([
    ['canary (functions/canary.asl.yml)', canaryDefinition],
    ['standalone (functions/standalone.asl.yml)', standaloneDefinition],
  ])('%s passes the ASL validator, paths and ARNs included', (_, load) => {
    expect(() => new StateMachine(load() as never, { validationOptions: { checkArn: true, checkPaths: true } })).not.toThrow();
  });

  it('the validator refuses a broken one (so the check above can fail)', () => {
    const broken = canaryDefinition() as { StartAt: string };
    broken.StartAt = 'NoSuchState';
    expect(() => new StateMachine(broken as never, { validationOptions: { checkArn: true, checkPaths: true } })).toThrow(/invalid/);
  });
});

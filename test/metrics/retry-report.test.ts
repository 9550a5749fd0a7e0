// What `canaria analyze` builds its retry lines from: the RetryPolicy's onRetry hook, and the
// hint for unquoted label values. (The hook lives in lib/metrics/retry.ts.)
import { describe, expect, it } from 'vitest';
import { quoteLabelValues } from '../../lib/cli/analyze-command.ts';
import { withRetries, type RetryInfo } from '../../lib/metrics/retry.ts';

describe('RetryPolicy.onRetry', () => {
  it('hears each retry before its wait: the try to come, the tries in all, the failure, the delay', async () => {
    const heard: RetryInfo[] = [];
    let calls = 0;
    const result = await withRetries(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw new Error(`down ${attempt}`);
        return 'ok';
      },
      () => true,
      { attempts: 4, baseDelayMs: 2, maxDelayMs: 4, onRetry: (info) => heard.push(info) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(heard.map(({ attempt, of, error }) => [attempt, of, (error as Error).message])).toEqual([
      [2, 4, 'down 1'],
      [3, 4, 'down 2'],
    ]);
    for (const { delayMs } of heard) expect(delayMs).toBeGreaterThanOrEqual(0);
    expect(heard[0].delayMs).toBeLessThanOrEqual(2);
    expect(heard[1].delayMs).toBeLessThanOrEqual(4);
  });

  it('is not called for the last failure, nor for one that is not retryable, and cannot break the fetch', async () => {
    const heard: number[] = [];
    const policy = { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, onRetry: (i: RetryInfo) => (heard.push(i.attempt), undefined) };
    await expect(withRetries(() => Promise.reject(new Error('x')), () => true, policy)).rejects.toThrow('x');
    expect(heard).toEqual([2]);
    await expect(withRetries(() => Promise.reject(new Error('y')), () => false, policy)).rejects.toThrow('y');
    expect(heard).toEqual([2]);
    let n = 0;
    const throwing = { ...policy, onRetry: () => { throw new Error('report failed'); } };
    await expect(withRetries(async () => (n++ === 0 ? Promise.reject(new Error('z')) : 'ok'), () => true, throwing)).resolves.toBe('ok');
  });
});

describe('quoteLabelValues', () => {
  it.each([
    ['version=baseline', 'version="baseline"'],
    ['version != canary', 'version!="canary"'],
    ['version=~canary.*', 'version=~"canary.*"'],
    ['version="a",app=b', 'version="a",app="b"'],
    ['version=baseline,pod!~web-.*', 'version="baseline",pod!~"web-.*"'],
  ])('%s → %s', (scope, quoted) => expect(quoteLabelValues(scope)).toBe(quoted));
});

// Kayenta's PrometheusResponseConverter on Kayenta's own reply fixtures (metric-sources-spec.md §1.8).
import { describe, expect, it } from 'vitest';
import { convertRangeResponse } from '../../lib/metrics/prometheus.ts';
import { fixture } from '../support/service.ts';

describe('convertRangeResponse', () => {
  it('a series without tags', () => {
    const [s] = convertRangeResponse(fixture('kayenta-rangeQueryWithoutTags.json'))!;
    expect(s.tags).toEqual({});
    expect(s.startTimeMillis).toBe(1599657179540);
    expect(s.stepSecs).toBe(1);
    expect(s.endTimeMillis).toBe(1599657237540);
    expect(s.values).toHaveLength(58);
  });

  it('a series with tags, __name__ removed', () => {
    const [s] = convertRangeResponse(fixture('kayenta-rangeQueryWithTags.json'))!;
    expect(s.tags).toEqual({ exception: 'InternalServerError', method: 'GET', uri: '/uri-1' });
    expect(s.startTimeMillis).toBe(1599658195474);
    expect(s.stepSecs).toBe(1);
    expect(s.endTimeMillis).toBe(1599658252474);
    expect(s.values).toHaveLength(57);
  });

  it('an empty result is null (the source then writes a placeholder)', () => {
    expect(convertRangeResponse(fixture('kayenta-rangeQueryEmpty.json'))).toBeNull();
  });

  it('reads NaN, skips null samples, turns ±Inf into NaN and counts them', () => {
    const [s] = convertRangeResponse({
      status: 'success',
      data: { resultType: 'matrix', result: [{ metric: { __name__: 'x' }, values: [[10, '1'], [20, 'NaN'], [30, null], [40, '+Inf'], [50, '-Inf']] }] },
    })!;
    expect(s.values).toEqual([1, NaN, NaN, NaN]);
    expect(s.nonFinite).toBe(2);
    expect(s.stepSecs).toBe(10);
    expect(s.endTimeMillis).toBe(10_000 + 4 * 10_000);
  });

  it('refuses a reply without data.result', () => {
    expect(() => convertRangeResponse({ status: 'success' })).toThrow('data is missing');
  });

  it('names where a reply departs from a matrix result', () => {
    const reply = (result: unknown) => ({ status: 'success', data: { resultType: 'matrix', result } });
    expect(() => convertRangeResponse(null)).toThrow('the body is null, not an object');
    expect(() => convertRangeResponse({ status: 'success', data: { result: {} } })).toThrow('data.result is an object, not a list of series');
    expect(() => convertRangeResponse(reply([{ metric: {}, values: [[1, '1']] }, 7]))).toThrow('data.result[1] is a number, not a series ({"metric", "values"})');
    expect(() => convertRangeResponse(reply([{ metric: { pod: 3 }, values: [] }]))).toThrow('data.result[0].metric is not an object of label values');
    expect(() => convertRangeResponse(reply([{ metric: {}, values: [['soon', '1']] }]))).toThrow('data.result[0].values[0][0] is "soon", not a timestamp in seconds');
    expect(() => convertRangeResponse(reply([{ metric: {}, histograms: [[1, { count: '3' }]] }]))).toThrow('data.result[0] holds native histograms, not float samples');
  });
});

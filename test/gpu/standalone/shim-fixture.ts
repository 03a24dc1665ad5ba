// A suite for test/gpu-bundle.test.ts: compiled as the GPU bundle compiles the GPU suites and run
// on node:test, it must report 4 passed tests, 1 failed (on purpose) and 1 skipped suite, and run
// its hooks in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const events: string[] = [];

describe('shim fixture', () => {
  beforeAll(() => void events.push('beforeAll'));
  afterAll(() => {
    events.push('afterAll');
    console.log(`hooks: ${events.join(',')}`);
  });
  it('passes synchronously', () => {
    events.push('sync');
    expect([1, 2, Number.NaN]).toEqual([1, 2, Number.NaN]);
  });
  it('passes asynchronously', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    events.push('async');
    await expect(Promise.reject(new RangeError('late'))).rejects.toThrow(RangeError);
  });
  it('passes with not and toThrow', () => {
    expect(Float32Array.of(1, 2)).not.toEqual(Float32Array.of(1, 3));
    expect(() => JSON.parse('{')).toThrow(SyntaxError);
  });
  it('fails on purpose', () => {
    expect(2 + 2, 'the planted failure').toBe(5);
  });
  it('passes after a failure', () => void events.push('after'));
});

describe.skipIf(true)('skipped suite', () => {
  it('never runs', () => {
    throw new Error('a skipped suite ran');
  });
});

// API fuzzing, short form (the long form is scripts/reliability/fuzz.mjs): 1,000 seeded random
// calls across the public API with wrong shapes, dtypes, devices, NaN/Inf, negative and huge
// sizes, disposed tensors, shared and detached buffers and wrong option types. Every call must
// return or throw an RnnkitError, and memory() must be back at its baseline afterwards. An abort
// would kill vitest's worker process, which vitest reports as a failed run.

import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { fuzzApi } from '../../scripts/reliability/fuzz-api.mjs';
import { settledMemory } from '../helpers.js';

const RUNS = 1000;
const SEED = 20261123;

describe('API fuzzing (short form)', () => {
  it(`${RUNS} random calls: each returns or throws an RnnkitError; memory() returns to its baseline`, async () => {
    const before = await settledMemory();
    const result = await fuzzApi(rk, fc, { runs: RUNS, seed: SEED });
    const after = await settledMemory();
    const report = result.findings.map((f) => `${f.outcome}: ${f.message}\n  call: ${f.call}\n  ${f.stack.split('\n').slice(1, 4).join('\n  ')}`);
    expect(report, `calls that threw something other than an RnnkitError:\n${report.join('\n')}`).toEqual([]);
    expect(result.runs).toBe(RUNS);
    // The calls must reach real work, not only argument checks.
    expect(result.outcomes.ok ?? 0).toBeGreaterThan(RUNS / 5);
    expect(Object.keys(result.outcomes).length).toBeGreaterThan(4);
    expect({ tensors: after.tensors, bytes: after.bytes }).toEqual({ tensors: before.tensors, bytes: before.bytes });
  });
});

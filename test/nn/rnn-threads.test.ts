// A bidirectional layer takes one of three CPU paths by thread count (native/cpu/rnn.cpp): with
// exactly two OpenMP threads its directions run side by side, one thread each; otherwise a batch
// of equal lengths runs as one oneDNN primitive over both directions, and one with lengths runs
// direction after direction. rnn.test.ts checks whichever path this machine takes against
// PyTorch; this test runs rnn-threads-child.mjs (on dist/, as `npm run build` leaves it) with 1,
// 2 and 3 threads and requires the same outputs and gradients from all three paths.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const child = path.join(import.meta.dirname, 'rnn-threads-child.mjs');

type Results = Record<string, Record<string, number[]>>;

function runWithThreads(threads: number): Results {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), RNNKIT_DEVICE: 'cpu' };
  return JSON.parse(execFileSync(process.execPath, [child], { env }).toString()) as Results;
}

/** 'case: key (max relative difference d)' for each value further than its tolerance from `expected`. */
function mismatches(actual: Results, expected: Results): string[] {
  const found: string[] = [];
  for (const [name, entries] of Object.entries(expected)) {
    for (const [key, want] of Object.entries(entries)) {
      const got = actual[name]?.[key];
      if (got?.length !== want.length) {
        found.push(`${name}: ${key} missing or of another size`);
        continue;
      }
      const tolerance = key.startsWith('d') ? 1e-4 : 1e-5; // gradients, values
      const worst = Math.max(...want.map((w, i) => Math.abs(w - got[i]!) / Math.max(1, Math.abs(w))));
      if (!(worst <= tolerance)) found.push(`${name}: ${key} (max relative difference ${worst})`);
    }
  }
  return found;
}

describe('bidirectional layers give the same results on every CPU path', () => {
  let sideBySide: Results;

  it('runs six cases with 2 threads (directions side by side)', () => {
    sideBySide = runWithThreads(2);
    expect(Object.keys(sideBySide)).toHaveLength(6);
    for (const entries of Object.values(sideBySide)) expect(entries.dx!.some((v) => v !== 0)).toBe(true);
  });

  it.each([1, 3])('gives the same outputs and gradients with %i thread(s)', (threads) => {
    expect(mismatches(runWithThreads(threads), sideBySide)).toEqual([]);
  });
});

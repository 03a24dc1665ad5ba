// Hostile checkpoints, short form (the long form is scripts/reliability/hostile-checkpoints.mjs):
// 500 mutated safetensors files (truncations, bit flips, header lies about offsets, sizes, dtypes
// and shapes, overlapping ranges, huge and non-JSON headers, duplicate keys, huge shapes). Each
// must give a CheckpointError or load exactly what its bytes say, leak no tensor and hold no more
// tensor bytes than the file has.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { MUTATION_KINDS, baseFiles, runHostile } from '../../scripts/reliability/hostile-safetensors.mjs';

const COUNT = 500;

describe('hostile checkpoints (short form)', () => {
  it(`${COUNT} mutated files: each a CheckpointError or a verified load`, async () => {
    const bases = await baseFiles(rk);
    // The unmutated files load (the checker itself accepts good files).
    for (const b of bases) {
      const d = rk.io.decode(b);
      expect(Object.keys(d.tensors).length).toBeGreaterThan(0);
      for (const t of Object.values(d.tensors)) t.dispose();
    }
    const before = rk.memory().tensors;
    const result = await runHostile(rk, { count: COUNT, seed: 7, bases });
    expect(result.findings.map((f) => `#${f.i} (${f.kinds}): ${f.problem}`)).toEqual([]);
    expect(result.outcomes.CheckpointError! + result.outcomes.loaded!).toBe(COUNT);
    // Most mutations must be caught; some (a flipped data bit) are harmless and load.
    expect(result.outcomes.CheckpointError!).toBeGreaterThan(COUNT * 0.7);
    expect(result.outcomes.loaded!).toBeGreaterThan(0);
    expect(Object.keys(result.byKind).length).toBe(MUTATION_KINDS.length);
    expect(rk.memory().tensors).toBe(before);
  });
});

// examples/data-parallel.mjs (the README's data-parallel snippet) run as it says: two ranks
// started by `rnnkit launch`, each printing the rank-averaged validation accuracy.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { glooAvailable } from '../../lib/distributed/gloo.js';
import { requireBuiltCli, rnnkit } from '../cli/run-cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const gloo = glooAvailable();
if (!gloo.available) console.log(`skipping the data-parallel example: ${gloo.reason}`);

describe.skipIf(!gloo.available)('examples/data-parallel.mjs', () => {
  it('trains on 2 ranks through rnnkit launch; both report the same accuracy', async () => {
    requireBuiltCli();
    const { code, stdout, stderr } = await rnnkit(['launch', '--nproc-per-node', '2', '--', 'node', 'examples/data-parallel.mjs'], { cwd: root });
    expect(code, stderr).toBe(0);
    const accuracies = [0, 1].map((r) => Number(new RegExp(`\\[rank ${r}\\] validation accuracy: ([\\d.]+)%`).exec(stdout)?.[1]));
    expect(accuracies[0]).toBeGreaterThanOrEqual(95);
    expect(accuracies[1]).toBe(accuracies[0]);
    // Progress comes from rank 0 only.
    expect(stdout + stderr).toMatch(/\[rank 0\] epoch 3\/3/);
    expect(stdout + stderr).not.toMatch(/\[rank 1\] epoch/);
  });
});

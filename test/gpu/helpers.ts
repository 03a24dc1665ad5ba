// GPU suites: whether a CUDA device works here, and what happens when none does. GPU tests
// compare each CUDA result with the CPU backend's on the same inputs.
//
// Without a working CUDA device a GPU suite is skipped with a visible reason, unless
// RNNKIT_REQUIRE_GPU=1 (the GPU bundle's run.sh sets it): then the suite fails with the backend's
// reason, so a broken CUDA backend can never look green on a GPU machine.

import { describe, it } from 'vitest';
import * as rk from '../../lib/index.js';

const cudaEntries = rk.backends().filter((b) => b.name === 'cuda');
const working = cudaEntries.find((b) => b.available);

/** The CUDA device the GPU suites run on ('cuda:0'), or null without a working one. */
export const gpuDevice: rk.Device | null = working ? (working.device as rk.Device) : null;

/** Why the GPU suites cannot run ('' when they run): the backend's own reason. */
export const noGpuReason: string = working
  ? ''
  : (cudaEntries.find((b) => !b.available)?.detail ?? 'this build of rnnkit has no CUDA backend');

/** Whether a missing GPU is a failure (RNNKIT_REQUIRE_GPU=1) rather than a skip. */
export const gpuRequired: boolean = process.env.RNNKIT_REQUIRE_GPU === '1';

/**
 * describe() for a GPU suite: runs when a CUDA device works. Otherwise it fails with the reason
 * when gpuRequired, else is skipped (shown as skipped) with a console warning naming the reason.
 */
export function describeGpu(name: string, fn: () => void): void {
  if (gpuDevice !== null) {
    describe(name, fn);
  } else if (gpuRequired) {
    describe(name, () => {
      it('has a working CUDA device (RNNKIT_REQUIRE_GPU=1)', () => {
        throw new Error(`RNNKIT_REQUIRE_GPU=1, but no CUDA device works here: ${noGpuReason}`);
      });
    });
  } else {
    console.warn(`[rnnkit gpu] skipping "${name}": no working CUDA device: ${noGpuReason}`);
    describe.skipIf(true)(name, fn);
  }
}

/** The CUDA device of a GPU suite (inside describeGpu, where one exists). */
export function cuda(): rk.Device {
  if (gpuDevice === null) throw new Error(`no working CUDA device: ${noGpuReason}`);
  return gpuDevice;
}

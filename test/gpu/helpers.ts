// GPU suites: whether a CUDA device works here, and skipping with a visible reason when none
// does. GPU tests compare each CUDA result with the CPU backend's on the same inputs.

import { describe } from 'vitest';
import * as rk from '../../lib/index.js';

const cudaEntries = rk.backends().filter((b) => b.name === 'cuda');
const working = cudaEntries.find((b) => b.available);

/** The CUDA device the GPU suites run on ('cuda:0'), or null without a working one. */
export const gpuDevice: rk.Device | null = working ? (working.device as rk.Device) : null;

/** Why the GPU suites are skipped ('' when they run): the backend's own reason. */
export const noGpuReason: string = working
  ? ''
  : (cudaEntries.find((b) => !b.available)?.detail ?? 'this build of rnnkit has no CUDA backend');

/**
 * describe() for a GPU suite: runs when a CUDA device works, else is skipped (shown as skipped by
 * vitest) with a console warning that names the reason, so a green run without a GPU says so.
 */
export function describeGpu(name: string, fn: () => void): void {
  if (gpuDevice === null) console.warn(`[rnnkit gpu] skipping "${name}": no working CUDA device: ${noGpuReason}`);
  describe.skipIf(gpuDevice === null)(name, fn);
}

/** The CUDA device of a GPU suite (inside describeGpu, where one exists). */
export function cuda(): rk.Device {
  if (gpuDevice === null) throw new Error(`no working CUDA device: ${noGpuReason}`);
  return gpuDevice;
}

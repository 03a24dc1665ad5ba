// `rnnkit info`: rnnkit's and Node's versions, the native addon in use, each backend with its
// device, GPU and library versions (or why it is unavailable), and where the CUDA libraries come
// from.

import type { CudaLibrarySearch } from '../../binding.js';
import { backends } from '../../memory.js';
import { addonPath, native } from '../../native.js';
import { deviceDetail } from '../device.js';
import type { Command } from '../main.js';
import { packageVersion } from '../version.js';

/**
 * Where the CUDA backend's libraries come from (or would: the search loads nothing), one line
 * each, then the link-only copies of cuDNN the search passed over.
 */
export function cudaLibraryLines(search: CudaLibrarySearch): string[] {
  const width = Math.max(...search.libraries.map((l) => l.file.length)) + 2;
  return [
    `cuda libraries (searched: ${search.folders.join(', ') || 'no folder'}; then the system's library path):`,
    ...search.libraries.map((l) => {
      if (l.loadedBy === 'cudnn') return `  ${l.file.padEnd(width)}${l.folder ?? 'beside libcudnn.so.9'} (cuDNN loads it when first needed)`;
      return `  ${l.file.padEnd(width)}${l.folder ?? "the system's library path (no searched folder has it)"}`;
    }),
    ...search.libraries.flatMap((l) =>
      l.passedOver.map((c) => `  passed over: ${c.folder} has ${l.file} without ${c.missing.join(', ')} beside it (a link-only copy)`),
    ),
  ];
}

export const command: Command<Record<string, never>> = {
  usage: 'rnnkit info',
  description: 'Prints the versions of rnnkit and Node.js, the native addon loaded, the compute backends with their devices, and where the CUDA libraries are found.',
  flags: {},
  async run() {
    const list = backends();
    const lines = [
      `rnnkit   ${packageVersion()}`,
      `node     ${process.version} (${process.platform}-${process.arch})`,
      `addon    ${addonPath} (version ${native.version})`,
      'backends:',
      ...list.map((b) => `  ${b.device.padEnd(8)}${b.available ? 'available  ' : 'unavailable'}  ${deviceDetail(b)}`),
    ];
    if (!list.some((b) => b.name === 'cuda')) lines.push(`  ${'cuda'.padEnd(8)}not built    this addon has no CUDA backend (it is built when nvcc and cuDNN are found)`);
    const search = native.cudaLibrarySearch();
    if (search !== null) lines.push(...cudaLibraryLines(search));
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};

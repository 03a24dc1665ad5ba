// `rnnkit info`: rnnkit's and Node's versions, the native addon in use, and each backend with its
// device, GPU and library versions (or why it is unavailable).

import { backends } from '../../memory.js';
import { addonPath, native } from '../../native.js';
import { deviceDetail } from '../device.js';
import type { Command } from '../main.js';
import { packageVersion } from '../version.js';

export const command: Command<Record<string, never>> = {
  usage: 'rnnkit info',
  description: 'Prints the versions of rnnkit and Node.js, the native addon loaded, and the compute backends with their devices.',
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
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};

// `rnnkit info`: rnnkit's and Node's versions, the native addon in use, and each backend with its
// device and library versions (or why it is unavailable).

import { backends } from '../../memory.js';
import { addonPath, native } from '../../native.js';
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
      ...list.map((b) => `  ${b.device.padEnd(6)}${b.name.padEnd(8)}${b.available ? 'available  ' : 'unavailable'}  ${b.detail}`),
    ];
    if (!list.some((b) => b.device === 'cuda')) {
      lines.push('  cuda  -       not built    this addon has no CUDA backend (rebuild with nvcc and cuDNN present, or RNNKIT_CUDA=ON)');
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};

// The CLI's frame, as a child process: help for every command, info, version, exit codes.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { deviceDetail } from '../../lib/cli/device.js';
import { tempDir } from './fixtures.js';
import { requireBuiltCli, rnnkit } from './run-cli.js';

const COMMANDS = ['train', 'eval', 'predict', 'generate', 'export', 'plot', 'launch', 'info', 'bench'];
const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('rnnkit', () => {
  let cwd: string;
  beforeAll(() => {
    requireBuiltCli();
    cwd = tempDir();
  });

  it('--help lists the commands (exit 0); no command prints it to stderr with exit 2', async () => {
    const help = await rnnkit(['--help'], { cwd });
    expect(help.code).toBe(0);
    for (const c of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${c} +\\S`, 'm'));
    const none = await rnnkit([], { cwd });
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(help.stdout);
    const unknown = await rnnkit(['trian'], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("rnnkit: unknown command 'trian' (commands: train, eval, predict, generate, export, plot, launch, info, bench; see 'rnnkit --help')\n");
    expect((await rnnkit(['--version'], { cwd })).stdout).toBe(`${version}\n`);
  });

  it.each(COMMANDS)('%s --help shows its usage and flags', async (command) => {
    const r = await rnnkit([command, '--help'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: rnnkit ${command}`));
    expect(r.stdout).toMatch(/\n {2}-h, --help +show this help\n/);
    expect((await rnnkit([command, '-h'], { cwd })).stdout).toBe(r.stdout);
  });

  it('info shows the versions and the backends this addon has', async () => {
    const r = await rnnkit(['info'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`rnnkit   ${version}\n`);
    expect(r.stdout).toContain(`node     ${process.version} (${process.platform}-${process.arch})\n`);
    for (const b of rk.backends()) {
      expect(r.stdout).toContain(`  ${b.device.padEnd(8)}${b.available ? 'available  ' : 'unavailable'}  ${deviceDetail(b)}\n`);
    }
    expect(r.stdout).toMatch(/oneDNN \d+\.\d+/);
    expect((await rnnkit(['info', '--json'], { cwd })).code).toBe(2);
  });

  it('a device that cannot be used is one DeviceError line with exit code 1', async () => {
    for (const device of ['cuda:99', 'tpu']) {
      const r = await rnnkit(['bench', '--steps', '1', '--device', device], { cwd });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^rnnkit bench: DeviceError: rnnkit: --device (is '${device}', but device '${device}' is not available: |must be 'cpu', 'cuda' or 'cuda:N', got 'tpu')[^\\n]*\\n$`));
    }
  });

  it('bench runs a few training steps and prints tokens/s', async () => {
    const r = await rnnkit(['bench', '--steps', '2', '--batch', '8', '--hidden', '16', '--length', '12'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^rnnkit bench: a 2-layer bidirectional LSTM classifier .* lengths 6-12, on cpu/);
    expect(r.stdout).toMatch(/\ntraining: [\d,]+ tokens\/s, \d+\.\d ms\/step over 2 steps/);
  });
});

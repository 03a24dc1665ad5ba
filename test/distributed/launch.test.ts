// `rnnkit launch` as a user runs it (the built CLI, a child process): the ranks' variables and
// prefixed output, a rank that fails or is killed stopping the others, SIGINT, usage errors.
// The ranks are test/distributed/fixtures/rank.mjs.

import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../cli/fixtures.js';
import { requireBuiltCli, rnnkit, type CliResult } from '../cli/run-cli.js';

const rankScript = fileURLToPath(new URL('fixtures/rank.mjs', import.meta.url));
interface RankLine {
  pid: number;
  RANK: string;
  LOCAL_RANK: string;
  WORLD_SIZE: string;
  LOCAL_WORLD_SIZE: string;
  MASTER_ADDR: string;
  MASTER_PORT: string;
  OMP_NUM_THREADS: string;
}

/** The JSON line each rank printed first, by rank. */
function rankLines(r: CliResult): RankLine[] {
  const lines = [...r.stdout.matchAll(/^\[rank (\d+)\] (\{.*\})$/gm)].map((m) => {
    const line = JSON.parse(m[2]!) as RankLine;
    expect(line.RANK).toBe(m[1]);
    return line;
  });
  return lines.sort((a, b) => Number(a.RANK) - Number(b.RANK));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('rnnkit launch', () => {
  let cwd: string;
  beforeAll(() => {
    requireBuiltCli();
    cwd = tempDir();
  });
  const launch = (flags: string[], what: string, options: { env?: Record<string, string>; onStdout?: Parameters<typeof rnnkit>[1]['onStdout'] } = {}): Promise<CliResult> =>
    rnnkit(['launch', ...flags, '--', process.execPath, rankScript, what], { cwd, ...options });

  it("gives each of N ranks torchrun's variables and a free master port, prefixes their lines, exits 0", async () => {
    const r = await launch(['--nproc-per-node', '3'], 'ok');
    expect(r.code, r.stderr).toBe(0);
    const ranks = rankLines(r);
    expect(ranks.map((l) => [l.RANK, l.LOCAL_RANK, l.WORLD_SIZE, l.LOCAL_WORLD_SIZE, l.MASTER_ADDR])).toEqual([0, 1, 2].map((i) => [`${i}`, `${i}`, '3', '3', '127.0.0.1']));
    const port = Number(ranks[0]!.MASTER_PORT);
    expect(port).toBeGreaterThan(0);
    expect(new Set(ranks.map((l) => l.MASTER_PORT))).toEqual(new Set([String(port)]));
    expect(Number(ranks[0]!.OMP_NUM_THREADS)).toBeGreaterThanOrEqual(1);
  });

  it('on node 1 of 2 numbers its ranks after node 0 and keeps a given OMP_NUM_THREADS', async () => {
    const flags = ['--nproc-per-node', '2', '--nnodes', '2', '--node-rank', '1', '--master-addr', 'node0.example', '--master-port', '29511'];
    const r = await launch(flags, 'ok', { env: { OMP_NUM_THREADS: '7' } });
    expect(r.code, r.stderr).toBe(0);
    expect(rankLines(r).map((l) => [l.RANK, l.LOCAL_RANK, l.WORLD_SIZE, l.LOCAL_WORLD_SIZE, l.MASTER_ADDR, l.MASTER_PORT, l.OMP_NUM_THREADS])).toEqual([
      ['2', '0', '4', '2', 'node0.example', '29511', '7'],
      ['3', '1', '4', '2', 'node0.example', '29511', '7'],
    ]);
  });

  it('a rank exiting 3 stops the others; the launch fails naming the rank, the code and its last stderr line', async () => {
    const r = await launch(['--nproc-per-node', '4'], 'fail:2:3');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^\[rank 2\] boom from rank 2$/m);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(
      'rnnkit launch: DistributedError: rank 2 exited with code 3; its last stderr line: boom from rank 2 (the other ranks were stopped)',
    );
    // The others would run forever: the launch ended, so they were stopped, and no process is left.
    for (const l of rankLines(r)) expect(isAlive(l.pid), `rank ${l.RANK}`).toBe(false);
  });

  it('a rank killed by SIGKILL is reported with its signal', async () => {
    const r = await launch(['--nproc-per-node', '2'], 'kill:1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rnnkit launch: DistributedError: rank 1 was killed by SIGKILL; it wrote nothing to stderr \(the other ranks were stopped\)\n$/);
  });

  it('a command that cannot start fails the launch', async () => {
    const r = await rnnkit(['launch', '--nproc-per-node', '2', '--', 'rnnkit-no-such-program'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rank \d could not start \(spawn rnnkit-no-such-program ENOENT\)/);
  });

  it('SIGINT to the launcher stops every rank', async () => {
    let sent = false;
    const r = await launch(['--nproc-per-node', '2'], 'hang', {
      onStdout: (out, child) => {
        if (!sent && (out.match(/\] ready$/gm) ?? []).length === 2) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('rnnkit launch: DistributedError: stopped by SIGINT: every rank was sent SIGTERM\n');
    for (const l of rankLines(r)) expect(isAlive(l.pid)).toBe(false);
  });

  it.each([
    [['--', 'node'], /^rnnkit launch: --nproc-per-node is required/],
    [['--nproc-per-node', '2'], /^rnnkit launch: the command to run is missing: give it after '--'/],
    [['--nproc-per-node', '0', '--', 'node'], /^rnnkit launch: --nproc-per-node must be >= 1, got 0/],
    [['--nproc-per-node', '2', '--nnodes', '2', '--node-rank', '2', '--', 'node'], /^rnnkit launch: --node-rank must be in 0\.\.1 \(--nnodes is 2\), got 2/],
    [['--nproc-per-node', '2', '--nnodes', '2', '--', 'node'], /^rnnkit launch: --master-addr and --master-port are required with --nnodes 2/],
    [['--nproc-per-node', '2', '--master-port', '70000', '--', 'node'], /^rnnkit launch: --master-port must be a TCP port in 1\.\.65535, got 70000/],
    [['--nproc-per-node', '2', 'node', 'train.mjs'], /^rnnkit launch: unexpected argument 'node'/],
  ])('usage error %j: exit 2', async (args, message) => {
    const r = await rnnkit(['launch', ...args], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/\(see 'rnnkit launch --help'\)\n$/);
  });

  it("another command's flags after -- are the rank's, not rnnkit's", async () => {
    const r = await rnnkit(['launch', '--nproc-per-node', '1', '--', process.execPath, '-e', 'console.log(process.argv.slice(1).join(" "))', '--', '--help', '--verbose'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('[rank 0] --help --verbose\n');
  });
});

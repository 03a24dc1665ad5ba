// `rnnkit launch`: torchrun for rnnkit. Starts --nproc-per-node copies of a command on this node,
// each with torchrun's variables for its rank, and supervises them: one failing stops the others
// and fails the launch with its rank, exit code (or signal) and last stderr line. Needs no native
// addon.

import { availableParallelism } from 'node:os';
import { DistributedError } from '../../errors.js';
import { freePort } from '../../distributed/free-port.js';
import { launchEnv } from '../../distributed/launch-env.js';
import { supervise, type RankFailure } from '../../distributed/supervise.js';
import { UsageError } from '../argv.js';
import type { Command } from '../main.js';

const FLAGS = {
  'nproc-per-node': { type: 'integer', min: 1, value: 'N', description: 'processes (ranks) to start on this node' },
  nnodes: { type: 'integer', min: 1, default: 1, value: 'M', description: 'nodes taking part' },
  'node-rank': { type: 'integer', min: 0, default: 0, value: 'R', description: 'this node among them, 0..M-1 (node 0 runs rank 0, which serves the rendezvous store)' },
  'master-addr': { type: 'string', value: 'HOST', description: "node 0's host name or address, as every node reaches it (default with one node: 127.0.0.1)" },
  'master-port': { type: 'integer', min: 1, value: 'PORT', description: "the rendezvous store's port on node 0 (default with one node: a free port)" },
  timeout: { type: 'number', above: 0, default: 10, value: 'S', description: 'seconds a rank has to exit after SIGTERM when the launch stops it, before SIGKILL' },
} as const;

function failureText(f: RankFailure): string {
  const how = f.startError !== undefined ? `could not start (${f.startError})` : f.signal !== null ? `was killed by ${f.signal}` : `exited with code ${f.code}`;
  const last = f.lastStderr !== '' ? `; its last stderr line: ${f.lastStderr}` : '; it wrote nothing to stderr';
  return `rank ${f.rank} ${how}${last} (the other ranks were stopped)`;
}

export const command: Command<typeof FLAGS> = {
  usage: 'rnnkit launch --nproc-per-node N [--nnodes M --node-rank R --master-addr HOST --master-port PORT] [--timeout S] -- COMMAND [ARGS...]',
  description: [
    'Starts N processes of COMMAND on this node for data-parallel training, as torchrun does: each gets',
    'RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT (read them with',
    "rk.distributed.env()), and OMP_NUM_THREADS = this machine's cores / N unless it is set. Each line a",
    "rank prints is shown behind '[rank R] '. When a rank fails, the others are stopped and the launch",
    'fails (exit code 1) naming the rank, its exit code or signal and its last stderr line. Ctrl-C',
    '(SIGINT) or SIGTERM stops every rank. On several nodes, run it on each with the same --nnodes,',
    '--master-addr and --master-port and its own --node-rank.',
    '',
    'Examples:',
    '  rnnkit launch --nproc-per-node 2 -- node train.mjs --epochs 3',
    '  rnnkit launch --nproc-per-node 4 --nnodes 2 --node-rank 0 --master-addr 10.0.0.1 --master-port 29500 -- node train.mjs',
  ].join('\n'),
  flags: FLAGS,
  trailing: true,
  async run(flags, trailing) {
    const nproc = flags['nproc-per-node'];
    if (nproc === undefined) throw new UsageError('--nproc-per-node is required: the number of processes to start on this node');
    if (trailing.length === 0) throw new UsageError("the command to run is missing: give it after '--' (rnnkit launch --nproc-per-node 2 -- node train.mjs)");
    const { nnodes, 'node-rank': nodeRank } = flags;
    if (nodeRank >= nnodes) throw new UsageError(`--node-rank must be in 0..${nnodes - 1} (--nnodes is ${nnodes}), got ${nodeRank}`);
    if (nnodes > 1 && (flags['master-addr'] === undefined || flags['master-port'] === undefined)) {
      throw new UsageError(`--master-addr and --master-port are required with --nnodes ${nnodes}: every node must name the same rendezvous store on node 0`);
    }
    const port = flags['master-port'];
    if (port !== undefined && port > 65535) throw new UsageError(`--master-port must be a TCP port in 1..65535, got ${port}`);
    const masterAddr = flags['master-addr'] ?? '127.0.0.1';
    const masterPort = port ?? (await freePort(masterAddr));

    const worldSize = nnodes * nproc;
    const cores = availableParallelism();
    const ranks = Array.from({ length: nproc }, (_, localRank) => {
      const rank = nodeRank * nproc + localRank;
      return { rank, env: launchEnv(process.env, { rank, localRank, worldSize, localWorldSize: nproc, masterAddr, masterPort }, cores) };
    });
    const supervision = supervise(ranks, {
      command: trailing,
      graceMs: flags.timeout * 1000,
      stdout: (s) => process.stdout.write(s),
      stderr: (s) => process.stderr.write(s),
    });
    let interrupted: string | undefined;
    const onSignal = (signal: NodeJS.Signals): void => {
      interrupted = signal;
      supervision.stop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let failure: RankFailure | undefined;
    try {
      failure = await supervision.done;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (failure !== undefined) throw new DistributedError(failureText(failure));
    if (interrupted !== undefined) throw new DistributedError(`stopped by ${interrupted}: every rank was sent SIGTERM`);
  },
};

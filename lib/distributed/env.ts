// torchrun's environment: the variables `rnnkit launch` (and torchrun) give each process, read and
// checked in one place. A missing or malformed variable is a DistributedError naming it and the
// value it should have, so a hand-started rank fails at once instead of waiting on a rendezvous.

import { describe } from '../dtype.js';
import { ArgumentError, DistributedError } from '../errors.js';
import type { Environment } from '../native.js';

/** Where this process stands in a distributed run, from torchrun's variables. */
export interface DistributedEnv {
  /** RANK: this process among all of them, 0..worldSize-1. */
  rank: number;
  /** LOCAL_RANK: this process among those of its node, 0..localWorldSize-1. */
  localRank: number;
  /** WORLD_SIZE: the number of processes over all nodes. */
  worldSize: number;
  /** LOCAL_WORLD_SIZE: the number of processes on this node. */
  localWorldSize: number;
  /** MASTER_ADDR: the host of rank 0's rendezvous store. */
  masterAddr: string;
  /** MASTER_PORT: its TCP port, 1..65535. */
  masterPort: number;
}

/** The variable of each field, in the order a launcher sets them. */
export const ENV_VARIABLES = {
  rank: 'RANK',
  localRank: 'LOCAL_RANK',
  worldSize: 'WORLD_SIZE',
  localWorldSize: 'LOCAL_WORLD_SIZE',
  masterAddr: 'MASTER_ADDR',
  masterPort: 'MASTER_PORT',
} as const satisfies Record<keyof DistributedEnv, string>;

const HINT = "(as 'rnnkit launch' or torchrun set it)";

function integer(source: Environment, name: string, min: number, max: number, expected: string): number {
  const raw: unknown = source[name];
  if (raw === undefined || raw === '') throw new DistributedError(`${name} is not set: expected ${expected} ${HINT}`);
  if (typeof raw !== 'string') throw new DistributedError(`${name} must be ${expected} (a string of digits, as in an environment), got ${describe(raw)}`);
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new DistributedError(`${name} must be ${expected}, got '${raw}'`);
  return n;
}

/**
 * Reads torchrun's variables from `source` (default: process.env). RANK, WORLD_SIZE, MASTER_ADDR
 * and MASTER_PORT are required; LOCAL_RANK and LOCAL_WORLD_SIZE default to RANK and WORLD_SIZE
 * (one node), as PyTorch's env:// rendezvous needs only the first four.
 */
export function env(source: Environment = process.env): DistributedEnv {
  if (typeof source !== 'object' || source === null) throw new ArgumentError(`distributed.env: source must be an object of variables (like process.env), got ${describe(source)}`);
  const v = ENV_VARIABLES;
  const worldSize = integer(source, v.worldSize, 1, Number.MAX_SAFE_INTEGER, 'an integer >= 1');
  const rank = integer(source, v.rank, 0, worldSize - 1, `an integer in 0..${worldSize - 1} (${v.worldSize} is ${worldSize})`);
  const localWorldSize =
    source[v.localWorldSize] === undefined ? worldSize : integer(source, v.localWorldSize, 1, worldSize, `an integer in 1..${worldSize} (${v.worldSize} is ${worldSize})`);
  const localRank =
    source[v.localRank] === undefined
      ? rank
      : integer(source, v.localRank, 0, localWorldSize - 1, `an integer in 0..${localWorldSize - 1} (${v.localWorldSize} is ${localWorldSize})`);
  if (source[v.localRank] === undefined && localRank >= localWorldSize) {
    throw new DistributedError(`${v.localRank} is not set and ${v.rank} ${rank} is not below ${v.localWorldSize} ${localWorldSize}: set ${v.localRank} ${HINT}`);
  }
  const rawAddr: unknown = source[v.masterAddr];
  if (rawAddr !== undefined && typeof rawAddr !== 'string') throw new DistributedError(`${v.masterAddr} must be a host name or IP address, got ${describe(rawAddr)}`);
  const masterAddr = rawAddr?.trim() ?? '';
  if (masterAddr === '') throw new DistributedError(`${v.masterAddr} is not set: expected the host name or IP address of rank 0's machine ${HINT}`);
  const masterPort = integer(source, v.masterPort, 1, 65535, 'a TCP port in 1..65535');
  return { rank, localRank, worldSize, localWorldSize, masterAddr, masterPort };
}

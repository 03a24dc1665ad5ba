// The default process group (torch.distributed's init_process_group): init() reads torchrun's
// variables, rank 0 serves the rendezvous store on MASTER_PORT (every interface, as other nodes
// must reach it), every rank's Gloo group meets through it; rank(), worldSize() and the
// collectives then work on that group until destroy(). One group per process.

import { checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError, DistributedError } from '../errors.js';
import type { GlooReduceOp } from '../binding.js';
import type { Tensor } from '../tensor.js';
import { env } from './env.js';
import { checkTimeoutMs } from './options.js';
import { GlooGroup } from './gloo.js';
import type { StoreServer } from './store-server.js';
import { TcpStore } from './store.js';

export type Backend = 'gloo' | 'nccl';

export interface InitOptions {
  /** 'gloo' (CPU tensors, default); 'nccl' is not built yet. */
  backend?: Backend;
  /** Bounds the rendezvous and every collective, in milliseconds (default 30 000, as Gloo's). */
  timeoutMs?: number;
}

interface Context {
  group: GlooGroup;
  /** Rank 0's store server, closed by destroy(). */
  server: StoreServer | null;
}

let current: Context | null = null;
/** Set while init() runs, so a second call cannot race the first. */
let starting = false;

function notInitialized(what: string): DistributedError {
  return new DistributedError(`distributed.${what}: the default group is not initialised; call await distributed.init({ backend: 'gloo' }) first`);
}

/** The default group (a DistributedError when init() has not run). */
export function defaultGroup(what: string): GlooGroup {
  if (current === null) throw notInitialized(what);
  return current.group;
}

/** Joins the default group: resolves once every rank of WORLD_SIZE has joined. */
export async function init(options: InitOptions = {}): Promise<void> {
  const o = checkOptions('distributed.init', options, ['backend', 'timeoutMs'] as const);
  const backend = o.backend ?? 'gloo';
  if (backend === 'nccl') throw new DistributedError("distributed.init: backend 'nccl' is not built yet in this version of rnnkit; use backend 'gloo' (CPU tensors)");
  if (backend !== 'gloo') throw new ArgumentError(`distributed.init: options.backend must be 'gloo' or 'nccl', got ${describe(backend)}`);
  const timeoutMs = checkTimeoutMs('distributed.init', o.timeoutMs ?? 30_000);
  if (current !== null || starting) throw new DistributedError('distributed.init: the default group is already initialised (call distributed.destroy() before a second init)');
  starting = true;
  let server: StoreServer | null = null;
  try {
    const { rank, worldSize, masterAddr: host, masterPort: port } = env();
    if (rank === 0) server = await TcpStore.serve({ port, worldSize, timeoutMs });
    const group = await GlooGroup.create({ rank, worldSize, timeoutMs, store: { kind: 'tcp', host, port } });
    // After this barrier every rank has left the rendezvous, so rank 0 may close the store at any time.
    await group.barrier();
    current = { group, server };
  } catch (err) {
    await server?.close();
    throw err;
  } finally {
    starting = false;
  }
}

export function isInitialized(): boolean {
  return current !== null;
}

/** This process's rank in the default group. */
export function rank(): number {
  return defaultGroup('rank').rank;
}

/** The number of processes in the default group. */
export function worldSize(): number {
  return defaultGroup('worldSize').worldSize;
}

/** Leaves the default group (after the collectives queued so far) and, on rank 0, stops the store. */
export async function destroy(): Promise<void> {
  if (current === null) throw notInitialized('destroy');
  const { group, server } = current;
  current = null;
  group.destroy();
  await server?.close();
}

/** GlooGroup.allReduce on the default group: in place, op 'sum' (default), 'mean', 'max' or 'min'. */
export function allReduce(tensor: Tensor, options: { op?: GlooReduceOp } = {}): Promise<void> {
  return defaultGroup('allReduce').allReduce(tensor, options);
}

/** GlooGroup.broadcast on the default group: rank src's elements to every rank, in place. */
export function broadcast(tensor: Tensor, options: { src: number }): Promise<void> {
  return defaultGroup('broadcast').broadcast(tensor, options);
}

/** GlooGroup.allGather on the default group: a new [worldSize, ...shape] tensor. */
export function allGather(tensor: Tensor): Promise<Tensor> {
  return defaultGroup('allGather').allGather(tensor);
}

export function barrier(): Promise<void> {
  return defaultGroup('barrier').barrier();
}

/** { rank, worldSize } of the default group, for the data sources' sharding options. */
export function shardOptions(): { rank: number; worldSize: number } {
  const group = defaultGroup('shardOptions');
  return { rank: group.rank, worldSize: group.worldSize };
}

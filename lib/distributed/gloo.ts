// A Gloo process group over the native module (native/gloo/): rendezvous through a shared
// directory (Gloo's FileStore) or rnnkit's TCP store, then collectives on CPU tensors. Each call
// queues on the CPU stream like any op and returns a promise; a timeout, a lost peer or ranks that
// disagree on the call reject it with a DistributedError within the group's timeoutMs. Bad
// arguments throw at the call, as every op's do.

import type { GlooReduceOp, NativeGlooGroup, NativeGlooOptions } from '../binding.js';
import { fromNative } from '../errors.js';
import { callNative, handle } from '../ops/call.js';
import { Tensor } from '../tensor.js';
import { checkTimeoutMs, requiredOptions } from './options.js';

export type GlooStore = NativeGlooOptions['store'];

export interface GlooGroupOptions {
  rank: number;
  worldSize: number;
  store: GlooStore;
  /** Bounds the rendezvous and every collective (default 30 000 ms, as Gloo's). */
  timeoutMs?: number;
  /** The address this rank listens on and gives its peers (default: its hostname's). */
  hostname?: string;
  /** A network interface to listen on instead (default: $GLOO_SOCKET_IFNAME, as PyTorch). */
  iface?: string;
}

/** Whether this build and machine can run Gloo, and why not. */
export function glooAvailable(): { available: boolean; reason?: string } {
  const { available, detail } = callNative((b) => b.glooAvailable());
  return available ? { available } : { available, reason: detail };
}

async function settled(promise: Promise<void>): Promise<void> {
  try {
    await promise;
  } catch (err) {
    throw fromNative(err);
  }
}

export class GlooGroup {
  readonly rank: number;
  readonly worldSize: number;
  #group: NativeGlooGroup;

  private constructor(group: NativeGlooGroup, rank: number, worldSize: number) {
    this.#group = group;
    this.rank = rank;
    this.worldSize = worldSize;
  }

  /** Resolves once every rank has joined (or rejects with a DistributedError at the timeout). */
  static async create(options: GlooGroupOptions): Promise<GlooGroup> {
    const op = 'GlooGroup.create';
    requiredOptions(op, options, ['rank', 'worldSize', 'store', 'timeoutMs', 'hostname', 'iface'] as const, 'rank, worldSize, store');
    const timeoutMs = checkTimeoutMs(op, options.timeoutMs ?? 30_000);
    const iface = options.iface ?? process.env.GLOO_SOCKET_IFNAME;
    const nativeOptions: NativeGlooOptions = {
      rank: options.rank,
      worldSize: options.worldSize,
      store: options.store,
      timeoutMs,
      ...(options.hostname !== undefined ? { hostname: options.hostname } : {}),
      ...(iface !== undefined && iface !== '' ? { iface } : {}),
    };
    const [group, connected] = callNative((b) => b.glooCreate(nativeOptions));
    const created = new GlooGroup(group, options.rank, options.worldSize);
    try {
      await settled(connected);
    } catch (err) {
      created.destroy();
      throw err;
    }
    return created;
  }

  /** In place: every rank's tensor becomes the reduction of all ('mean' = sum / worldSize). */
  allReduce(tensor: Tensor, options: { op?: GlooReduceOp } = {}): Promise<void> {
    const t = handle('allReduce', 'tensor', tensor);
    return settled(callNative((b) => b.glooAllReduce(this.#group, t, options.op ?? 'sum')));
  }

  /** In place: rank src's elements to every rank. */
  broadcast(tensor: Tensor, options: { src: number }): Promise<void> {
    const t = handle('broadcast', 'tensor', tensor);
    return settled(callNative((b) => b.glooBroadcast(this.#group, t, options.src)));
  }

  /** A new [worldSize, ...shape] tensor holding rank r's tensor at index r. */
  allGather(tensor: Tensor): Promise<Tensor> {
    const t = handle('allGather', 'tensor', tensor);
    const [out, done] = callNative((b) => b.glooAllGather(this.#group, t));
    const gathered = new Tensor(out);
    return settled(done).then(
      () => gathered,
      (err: unknown) => {
        gathered.dispose();
        throw err;
      },
    );
  }

  barrier(): Promise<void> {
    return settled(callNative((b) => b.glooBarrier(this.#group)));
  }

  /** Leaves the group once the collectives queued so far have run. Idempotent. */
  destroy(): void {
    callNative((b) => b.glooDestroy(this.#group));
  }
}

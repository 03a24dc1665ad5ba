// The distributed namespace: torchrun's environment (env()), the rendezvous store that ranks
// meet through (TcpStore), Gloo's collectives on CPU tensors (GlooGroup), the default group that
// init() joins, and DataParallel training over it. NCCL is not built yet.

export { env, ENV_VARIABLES, type DistributedEnv } from './env.js';
export { TcpStore, type ConnectOptions } from './store.js';
export type { StoreServer, ServeOptions } from './store-server.js';
export { GlooGroup, glooAvailable, type GlooGroupOptions, type GlooStore } from './gloo.js';
export { init, isInitialized, rank, worldSize, destroy, allReduce, broadcast, allGather, barrier, shardOptions, type Backend, type InitOptions } from './context.js';
export { DataParallel, type DataParallelOptions, type ForwardModule } from './data-parallel.js';
export { shardBatches, type ShardOptions } from './shard.js';

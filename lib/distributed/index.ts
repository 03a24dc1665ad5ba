// The distributed namespace: torchrun's environment (env()), the rendezvous store that ranks
// meet through (TcpStore), and Gloo's collectives on CPU tensors (GlooGroup). NCCL is not built yet.

export { env, ENV_VARIABLES, type DistributedEnv } from './env.js';
export { TcpStore, type ConnectOptions } from './store.js';
export type { StoreServer, ServeOptions } from './store-server.js';
export { GlooGroup, glooAvailable, type GlooGroupOptions, type GlooStore } from './gloo.js';

// The distributed namespace: torchrun's environment (env()) and the rendezvous store that ranks
// meet through (TcpStore). The collectives (Gloo, NCCL) join when the native side has them.

export { env, ENV_VARIABLES, type DistributedEnv } from './env.js';
export { TcpStore, type ConnectOptions } from './store.js';
export type { StoreServer, ServeOptions } from './store-server.js';

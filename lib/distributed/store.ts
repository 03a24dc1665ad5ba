// The rendezvous store (what PyTorch's TCPStore does): rank 0's process serves a key-value map
// over TCP (TcpStore.serve), every rank, rank 0 included, connects to it (TcpStore.connect) to
// exchange addresses, check in and wait at barriers. Every wait ends within timeoutMs with a
// DistributedError naming what it waited for: a lost rank never hangs the others.

import { connect as connectSocket, type Socket } from 'node:net';
import { describe } from '../dtype.js';
import { ArgumentError, DistributedError } from '../errors.js';
import { checkHost, checkPort, checkTimeoutMs, requiredOptions } from './options.js';
import { decodeI64, decodeReply, decodeText, encodeI64, encodeRequest, encodeText, FrameReader, Op, type Reply } from './store-protocol.js';
import { StoreServer, type ServeOptions } from './store-server.js';

export interface ConnectOptions {
  /** The store's host (MASTER_ADDR). */
  host: string;
  /** The store's port (MASTER_PORT). */
  port: number;
  /**
   * How long connect() keeps retrying (the master may start after the others), and how long each
   * request may wait for its reply (a GET: for its key to be set), in milliseconds.
   */
  timeoutMs: number;
}

interface Pending {
  what: string;
  resolve(reply: Reply): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

function checkKey(op: string, key: unknown, arg = 'key'): asserts key is string {
  if (typeof key !== 'string') throw new ArgumentError(`${op}: ${arg} must be a string, got ${describe(key)}`);
}

function checkConnectOptions(options: unknown): ConnectOptions {
  const op = 'TcpStore.connect';
  const o = requiredOptions(op, options, ['host', 'port', 'timeoutMs'] as const, 'host, port, timeoutMs');
  return { host: checkHost(op, o.host), port: checkPort(op, o.port, 1), timeoutMs: checkTimeoutMs(op, o.timeoutMs) };
}

/** One attempt: a connected socket, or the error that stopped it (a silent host counts as one after `ms`). */
function attempt(host: string, port: number, ms: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectSocket({ host, port, noDelay: true });
    socket.setTimeout(ms, () => socket.destroy(new Error(`no answer within ${ms} ms`)));
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** A client of the rendezvous store. Requests may be issued concurrently; they are answered in order. */
export class TcpStore {
  readonly #socket: Socket;
  readonly #pending: Pending[] = [];
  readonly #timeoutMs: number;
  /** Why the connection is unusable, once it is. */
  #closed: string | undefined;

  private constructor(
    socket: Socket,
    /** "host:port" of the store, for messages. */
    readonly address: string,
    timeoutMs: number,
  ) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    const reader = new FrameReader();
    socket.on('data', (chunk: Uint8Array) => {
      try {
        for (const rest of reader.push(chunk)) this.#answer(decodeReply(rest));
      } catch (err) {
        this.#fail(`the store at ${address} sent a malformed reply (${(err as Error).message})`);
      }
    });
    let cause = '';
    socket.on('error', (err) => (cause = ` (${err.message})`));
    socket.on('close', () => this.#fail(`the store at ${address} closed the connection${cause}`));
  }

  /** Serves a store on rank 0's machine; see StoreServer. */
  static async serve(options: ServeOptions): Promise<StoreServer> {
    return StoreServer.listen(options);
  }

  /**
   * Connects to the store at host:port, retrying until timeoutMs (the master may not listen yet);
   * then a DistributedError naming the address, the time and the last failure.
   */
  static async connect(options: ConnectOptions): Promise<TcpStore> {
    const { host, port, timeoutMs } = checkConnectOptions(options);
    const deadline = Date.now() + timeoutMs;
    let delay = 10;
    let last = '';
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      try {
        return new TcpStore(await attempt(host, port, left), `${host}:${port}`, timeoutMs);
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, deadline - Date.now()))));
      delay = Math.min(delay * 2, 1000);
    }
    throw new DistributedError(`cannot reach the rendezvous store at ${host}:${port} within ${timeoutMs} ms (last error: ${last || 'none'}); is rank 0 running, and are MASTER_ADDR and MASTER_PORT right?`);
  }

  /** Stores value under key (a string is stored as its UTF-8 bytes), replacing any. */
  async set(key: string, value: Uint8Array | string): Promise<void> {
    checkKey('TcpStore.set', key);
    if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
      throw new ArgumentError(`TcpStore.set('${key}'): value must be a string or a Uint8Array, got ${describe(value)}`);
    }
    const bytes = typeof value === 'string' ? encodeText(value) : value;
    await this.#request(Op.SET, key, bytes, `set('${key}')`);
  }

  /** The value of key, waiting until some rank sets it, for up to timeoutMs. */
  async get(key: string): Promise<Uint8Array> {
    checkKey('TcpStore.get', key);
    return (await this.#request(Op.GET, key, undefined, `get('${key}')`)).value;
  }

  /** Adds delta to the counter under key (missing: 0) and returns the new count. */
  async add(key: string, delta: number): Promise<number> {
    checkKey('TcpStore.add', key);
    if (!Number.isSafeInteger(delta)) throw new ArgumentError(`TcpStore.add('${key}'): delta must be a safe integer, got ${describe(delta)}`);
    const reply = await this.#request(Op.ADD, key, encodeI64(BigInt(delta)), `add('${key}', ${delta})`);
    const count = decodeI64(reply.value);
    if (count > BigInt(Number.MAX_SAFE_INTEGER) || count < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new DistributedError(`add('${key}', ${delta}): the counter is ${count}, beyond a safe integer`);
    }
    return Number(count);
  }

  /** Whether every key exists now (no waiting). */
  async check(keys: readonly string[]): Promise<boolean> {
    if (!Array.isArray(keys)) throw new ArgumentError(`TcpStore.check: keys must be an array of strings, got ${describe(keys)}`);
    keys.forEach((k: unknown, i) => checkKey('TcpStore.check', k, `keys[${i}]`));
    const replies = await Promise.all(keys.map((k) => this.#request(Op.CHECK, k, undefined, `check('${k}')`)));
    return replies.every((r) => r.value[0] === 1);
  }

  /** Closes the connection; requests still pending fail with a DistributedError. */
  async close(): Promise<void> {
    this.#fail('the store client was closed');
    this.#socket.destroy();
  }

  #request(op: Op, key: string, value: Uint8Array | undefined, what: string): Promise<Reply> {
    if (this.#closed !== undefined) return Promise.reject(new DistributedError(`${what} failed: ${this.#closed}`));
    return new Promise((resolve, reject) => {
      const ms = this.#timeoutMs;
      const timer = setTimeout(() => {
        const waited = op === Op.GET ? `waited ${ms} ms for key '${key}', which no rank set` : `got no reply from the store at ${this.address} within ${ms} ms`;
        // The server would still answer later and hold back every request behind this one, so
        // the connection cannot be trusted any more: a timeout closes it.
        this.#fail(`${what} timed out`, new DistributedError(`${what} timed out: it ${waited} (timeoutMs ${ms})`));
      }, ms);
      this.#pending.push({ what, resolve, reject, timer });
      this.#socket.write(encodeRequest(op, key, value));
    });
  }

  #answer(reply: Reply): void {
    const p = this.#pending.shift();
    if (p === undefined) throw new Error('a reply came with no request pending');
    clearTimeout(p.timer);
    if (reply.ok) p.resolve(reply);
    else p.reject(new DistributedError(`${p.what} failed on the store at ${this.address}: ${decodeText(reply.value)}`));
  }

  /** Marks the connection unusable and fails every pending request: the first with `first` if given. */
  #fail(reason: string, first?: DistributedError): void {
    if (this.#closed === undefined) this.#closed = reason;
    const pending = this.#pending.splice(0);
    pending.forEach((p, i) => {
      clearTimeout(p.timer);
      p.reject(i === 0 && first !== undefined ? first : new DistributedError(`${p.what} failed: ${reason}`));
    });
    this.#socket.destroy();
  }
}

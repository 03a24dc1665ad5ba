// The rendezvous store's server, run by rank 0's process (TcpStore.serve): one key-value map
// shared by every connection, speaking store-protocol.ts. It never times out a request itself
// (timeouts are the clients'); a client that disconnects takes its pending requests with it.

import { createServer, type Server, type Socket } from 'node:net';
import { describe } from '../dtype.js';
import { ArgumentError, DistributedError } from '../errors.js';
import { checkHost, checkPort, checkTimeoutMs, requiredOptions } from './options.js';
import { decodeI64, decodeRequest, encodeI64, encodeReply, encodeText, FrameReader, Op, type Request } from './store-protocol.js';

export interface ServeOptions {
  /** Address to listen on (default '0.0.0.0': every interface, as other nodes must reach it). */
  host?: string;
  /** TCP port; 0 picks a free one (read it back from `port`). */
  port: number;
  /** The number of ranks that will connect, for waitForWorkers(). */
  worldSize: number;
  /** How long waitForWorkers() waits, in milliseconds. */
  timeoutMs: number;
}

const EMPTY = new Uint8Array(0);

/** A request as queued: decoded, or the reason its frame could not be. */
type Queued = Request | { malformed: string };

/** One client connection: its requests in arrival order, the first possibly a GET waiting for its key. */
class Connection {
  readonly queue: Queued[] = [];
  closed = false;
  constructor(readonly socket: Socket) {}
}

export class StoreServer {
  readonly #server: Server;
  readonly #data = new Map<string, Uint8Array>();
  /** Connections whose first queued request is a GET of the key. */
  readonly #waiting = new Map<string, Set<Connection>>();
  readonly #connections = new Set<Connection>();
  #connected = 0;
  #onConnect: (() => void) | undefined;

  private constructor(
    server: Server,
    readonly host: string,
    readonly port: number,
    readonly options: ServeOptions,
  ) {
    this.#server = server;
    server.on('connection', (socket) => this.#accept(socket));
  }

  /** Listens on host:port; a taken port or a bad address is a DistributedError naming both. */
  static listen(options: ServeOptions): Promise<StoreServer> {
    const op = 'TcpStore.serve';
    const o = requiredOptions(op, options, ['host', 'port', 'worldSize', 'timeoutMs'] as const, 'port, worldSize, timeoutMs');
    checkPort(op, o.port, 0);
    const worldSize = o.worldSize;
    if (typeof worldSize !== 'number' || !Number.isSafeInteger(worldSize) || worldSize < 1) {
      throw new ArgumentError(`${op}: options.worldSize must be an integer >= 1, got ${describe(worldSize)}`);
    }
    checkTimeoutMs(op, o.timeoutMs);
    const host = o.host === undefined ? '0.0.0.0' : checkHost(op, o.host);
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true });
      server.once('error', (err: NodeJS.ErrnoException) => {
        const why = err.code === 'EADDRINUSE' ? 'the port is taken (another process listens on it; pick another port)' : err.message;
        reject(new DistributedError(`cannot serve the rendezvous store on ${host}:${options.port}: ${why}`));
      });
      server.listen(options.port, host, () => {
        const address = server.address();
        const port = typeof address === 'object' && address !== null ? address.port : options.port;
        resolve(new StoreServer(server, host, port, options));
      });
    });
  }

  /**
   * Resolves once worldSize connections have been made; rejects with a DistributedError after
   * timeoutMs, naming how many of them came.
   */
  waitForWorkers(): Promise<void> {
    const { worldSize, timeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      if (this.#connected >= worldSize) return resolve();
      const timer = setTimeout(() => {
        this.#onConnect = undefined;
        reject(new DistributedError(`only ${this.#connected} of ${worldSize} ranks connected to the rendezvous store on ${this.host}:${this.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#onConnect = () => {
        if (this.#connected < worldSize) return;
        clearTimeout(timer);
        this.#onConnect = undefined;
        resolve();
      };
    });
  }

  /** Stops listening and drops every connection (their pending requests fail on the clients' side). */
  close(): Promise<void> {
    for (const c of this.#connections) c.socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    const c = new Connection(socket);
    this.#connections.add(c);
    this.#connected++;
    this.#onConnect?.();
    const reader = new FrameReader();
    socket.on('data', (chunk: Uint8Array) => {
      let frames: Uint8Array[];
      try {
        frames = reader.push(chunk);
      } catch {
        // A length prefix past the limit: the stream cannot be resynchronised.
        socket.destroy();
        return;
      }
      for (const rest of frames) this.#enqueue(c, rest);
    });
    socket.on('error', () => {
      // 'close' follows and cleans up; a reset by a killed client is not the server's failure.
    });
    socket.on('close', () => this.#drop(c));
  }

  #enqueue(c: Connection, rest: Uint8Array): void {
    let queued: Queued;
    try {
      queued = decodeRequest(rest);
    } catch (err) {
      // A malformed frame still gets its reply in order: the frame length kept the stream in step.
      queued = { malformed: (err as Error).message };
    }
    c.queue.push(queued);
    if (c.queue.length === 1) this.#drain(c);
  }

  /** Answers c's requests in order until its queue is empty or its head is a GET of a missing key. */
  #drain(c: Connection): void {
    while (!c.closed && c.queue.length > 0) {
      const r = c.queue[0]!;
      if ('op' in r && r.op === Op.GET && !this.#data.has(r.key)) {
        let set = this.#waiting.get(r.key);
        if (set === undefined) this.#waiting.set(r.key, (set = new Set()));
        set.add(c);
        return;
      }
      c.queue.shift();
      c.socket.write(this.#answer(r));
    }
  }

  #answer(r: Queued): Uint8Array {
    if ('malformed' in r) return encodeReply(false, encodeText(`malformed request: ${r.malformed}`));
    switch (r.op) {
      case Op.SET:
        this.#set(r.key, r.value);
        return encodeReply(true, EMPTY);
      case Op.GET:
        return encodeReply(true, this.#data.get(r.key)!);
      case Op.ADD: {
        if (r.value.length !== 8) return encodeReply(false, encodeText(`ADD of '${r.key}' needs an 8-byte i64 delta, got ${r.value.length} bytes`));
        const old = this.#data.get(r.key);
        if (old !== undefined && old.length !== 8) return encodeReply(false, encodeText(`'${r.key}' holds ${old.length} bytes, not an 8-byte counter`));
        const next = encodeI64((old === undefined ? 0n : decodeI64(old)) + decodeI64(r.value));
        this.#set(r.key, next);
        return encodeReply(true, next);
      }
      case Op.CHECK:
        return encodeReply(true, Uint8Array.of(this.#data.has(r.key) ? 1 : 0));
      default:
        return encodeReply(false, encodeText(`unknown op ${r.op} (ops: 1 SET, 2 GET, 3 ADD, 4 CHECK)`));
    }
  }

  #set(key: string, value: Uint8Array): void {
    this.#data.set(key, value);
    const waiting = this.#waiting.get(key);
    if (waiting === undefined) return;
    this.#waiting.delete(key);
    for (const c of waiting) this.#drain(c);
  }

  #drop(c: Connection): void {
    c.closed = true;
    this.#connections.delete(c);
    const head = c.queue[0];
    if (head !== undefined && 'op' in head && head.op === Op.GET) this.#waiting.get(head.key)?.delete(c);
    c.queue.length = 0;
  }
}

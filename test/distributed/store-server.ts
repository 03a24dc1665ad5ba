// A throwaway server of the TCP store protocol (native/gloo/tcp_store.h), for the tests only:
// SET and GET (which waits until the key exists). The package's own server is lib/distributed/store.ts.

import net from 'node:net';

export interface StoreServer {
  port: number;
  /** The ops the server was sent. */
  ops: Set<number>;
  close(): Promise<void>;
}

export async function startStoreServer(): Promise<StoreServer> {
  const values = new Map<string, Buffer>();
  const waiting = new Map<string, (() => void)[]>();
  const ops = new Set<number>();
  const sockets = new Set<net.Socket>();
  const reply = (socket: net.Socket, status: number, value: Buffer): void => {
    const head = Buffer.alloc(9);
    head.writeUInt32LE(5 + value.length, 0);
    head.writeUInt8(status, 4);
    head.writeUInt32LE(value.length, 5);
    socket.write(Buffer.concat([head, value]));
  };
  const handle = (socket: net.Socket, frame: Buffer): void => {
    const op = frame.readUInt8(0);
    const keyLength = frame.readUInt32LE(1);
    const key = frame.subarray(5, 5 + keyLength).toString('utf8');
    const value = frame.subarray(9 + keyLength);
    ops.add(op);
    if (op === 1) {
      values.set(key, Buffer.from(value));
      for (const wake of waiting.get(key) ?? []) wake();
      waiting.delete(key);
      reply(socket, 0, Buffer.alloc(0));
    } else if (op === 2) {
      const answer = () => reply(socket, 0, values.get(key)!);
      if (values.has(key)) answer();
      else waiting.set(key, [...(waiting.get(key) ?? []), answer]);
    } else {
      reply(socket, 1, Buffer.from(`op ${op} is not served here`));
    }
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32LE(0)) {
        const length = pending.readUInt32LE(0);
        handle(socket, pending.subarray(4, 4 + length));
        pending = pending.subarray(4 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    ops,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// The rendezvous store in one process: a server and several clients on loopback. Its semantics
// (GET waits for SET, ADD counts, CHECK, order per connection) and its failures, each a
// DistributedError naming what failed: timeouts, a taken port, an unreachable master, a server
// that goes away mid-request. Across processes: store-processes.test.ts.

import { createServer, connect as rawConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ArgumentError, DistributedError } from '../../lib/errors.js';
import { TcpStore, type StoreServer } from '../../lib/distributed/index.js';
import { decodeReply, encodeRequest, FrameReader, Op } from '../../lib/distributed/store-protocol.js';

const HOST = '127.0.0.1';
// Generous: a loaded 2-core machine may stall a process for seconds. Tests of a timeout pass a short one.
const TIMEOUT = 20_000;
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

let open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.map((o) => o.close()));
  open = [];
});

async function serve(worldSize = 2, timeoutMs = TIMEOUT): Promise<StoreServer> {
  const server = await TcpStore.serve({ host: HOST, port: 0, worldSize, timeoutMs });
  open.push(server);
  return server;
}
async function client(port: number, timeoutMs = TIMEOUT): Promise<TcpStore> {
  const store = await TcpStore.connect({ host: HOST, port, timeoutMs });
  open.push(store);
  return store;
}
/** A port nobody listens on: bound, read, then closed again. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, HOST, r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}
async function rejection(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => new Error('resolved'),
    (e: unknown) => e as Error,
  );
  expect(err).toBeInstanceOf(DistributedError);
  return err;
}

describe('TcpStore', () => {
  it('set then get, strings and bytes, between clients; check; overwrite', async () => {
    const server = await serve();
    const [a, b] = await Promise.all([client(server.port), client(server.port)]);
    await a.set('addr/0', 'host-a:1234');
    await a.set('bytes', Uint8Array.of(0, 255, 7));
    expect(text(await b.get('addr/0'))).toBe('host-a:1234');
    expect([...(await b.get('bytes'))]).toEqual([0, 255, 7]);
    expect(await b.check(['addr/0', 'bytes'])).toBe(true);
    expect(await b.check(['addr/0', 'addr/1'])).toBe(false);
    expect(await b.check([])).toBe(true);
    await b.set('addr/0', '');
    expect((await a.get('addr/0')).length).toBe(0);
  });

  it('a GET waits for a later SET from another client; the waiting connection alone is held back', async () => {
    const server = await serve();
    const [waiter, other, setter] = await Promise.all([client(server.port), client(server.port), client(server.port)]);
    const got = waiter.get('late');
    // Pipelined behind the GET on the same connection: answered only after it.
    const behind = waiter.check(['late']);
    let settled = false;
    void got.then(() => (settled = true));
    // Other connections are served meanwhile (a round trip on each proves it).
    await other.set('x', '1');
    expect(await setter.check(['late'])).toBe(false);
    expect(settled).toBe(false);
    await setter.set('late', 'now');
    expect(text(await got)).toBe('now');
    expect(await behind).toBe(true);
  });

  it('ADD counts from 0 and works as a barrier: the last rank to arrive releases the others', async () => {
    const server = await serve(4);
    const ranks = await Promise.all([0, 1, 2, 3].map(() => client(server.port)));
    const barrier = async (s: TcpStore): Promise<number> => {
      const arrived = await s.add('barrier/count', 1);
      if (arrived === ranks.length) await s.set('barrier/done', '1');
      await s.get('barrier/done');
      return arrived;
    };
    const arrivals = await Promise.all(ranks.map(barrier));
    expect(arrivals.sort()).toEqual([1, 2, 3, 4]);
    expect(await ranks[0]!.add('barrier/count', -10)).toBe(-6);
    expect(await ranks[1]!.add('fresh', 0)).toBe(0);
    await expect(ranks[0]!.add('k', 1.5)).rejects.toBeInstanceOf(ArgumentError);
  });

  it("an ADD on a key that is not a counter is the server's error, and the connection stays usable", async () => {
    const server = await serve();
    const s = await client(server.port);
    await s.set('name', 'abc');
    expect((await rejection(s.add('name', 1))).message).toBe(`add('name', 1) failed on the store at ${HOST}:${server.port}: 'name' holds 3 bytes, not an 8-byte counter`);
    expect(await s.add('n', 2)).toBe(2);
  });

  it('a GET of a key nobody sets fails within its timeout, naming the key and the time waited', async () => {
    const server = await serve();
    const s = await client(server.port, 300);
    const t0 = Date.now();
    const err = await rejection(s.get('never'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(err.message).toBe("get('never') timed out: it waited 300 ms for key 'never', which no rank set (timeoutMs 300)");
    // The timed-out connection is closed: later requests fail at once and say why.
    expect((await rejection(s.set('k', 'v'))).message).toBe("set('k') failed: get('never') timed out");
  });

  it('bad options are ArgumentErrors naming the option', async () => {
    await expect(TcpStore.serve({ port: 70000, worldSize: 1, timeoutMs: 1 })).rejects.toThrow('TcpStore.serve: options.port must be an integer in 0..65535 (0: any free port), got 70000');
    await expect(TcpStore.serve({ port: 0, worldSize: 0, timeoutMs: 1 })).rejects.toThrow('TcpStore.serve: options.worldSize must be an integer >= 1, got 0');
    await expect(TcpStore.connect({ host: HOST, port: 0, timeoutMs: 1 })).rejects.toThrow('TcpStore.connect: options.port must be an integer in 1..65535, got 0');
    await expect(TcpStore.connect({ host: HOST, port: 1, timeoutMs: -1 })).rejects.toBeInstanceOf(ArgumentError);
    // Junk found by a hand fuzz (V8 TypeErrors before): no options, symbols, bigints, a timeout setTimeout cannot hold.
    for (const call of [
      () => TcpStore.serve(undefined as never),
      () => TcpStore.connect(null as never),
      () => TcpStore.serve({ port: Symbol('p') as never, worldSize: 1, timeoutMs: 1 }),
      () => TcpStore.serve({ host: Symbol('h') as never, port: 0, worldSize: 1, timeoutMs: 1 }),
      () => TcpStore.connect({ host: 2n as never, port: 1, timeoutMs: 1 }),
      () => TcpStore.connect({ host: HOST, port: 1, timeoutMs: Infinity }),
      () => TcpStore.serve({ port: 0, worldSize: 1, timeoutMs: 2 ** 31 }),
      () => TcpStore.serve({ port: 0, worldSize: 1, timeoutMs: 1, typo: 1 } as never),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(ArgumentError);
    }
    await expect(TcpStore.connect({ host: HOST, port: 1, timeoutMs: Infinity })).rejects.toThrow('TcpStore.connect: options.timeoutMs must be a number of milliseconds in (0, 2147483647], got Infinity');
    const server = await serve();
    const client = await TcpStore.connect({ host: HOST, port: server.port, timeoutMs: TIMEOUT });
    await expect(client.set(Symbol('k') as never, 'v')).rejects.toThrow(/TcpStore.set: key must be a string, got/);
    await expect(client.set('k', 5 as never)).rejects.toThrow("TcpStore.set('k'): value must be a string or a Uint8Array, got 5");
    await expect(client.add('n', 2n as never)).rejects.toBeInstanceOf(ArgumentError);
    await expect(client.check('k' as never)).rejects.toThrow(/TcpStore.check: keys must be an array of strings/);
    await expect(client.check(['a', 3] as never)).rejects.toThrow(/TcpStore.check: keys\[1\] must be a string, got 3/);
    await client.close();
  });

  it('serving on a taken port is a DistributedError naming the address and port', async () => {
    const server = await serve();
    const err = await rejection(TcpStore.serve({ host: HOST, port: server.port, worldSize: 2, timeoutMs: TIMEOUT }));
    expect(err.message).toBe(`cannot serve the rendezvous store on ${HOST}:${server.port}: the port is taken (another process listens on it; pick another port)`);
  });

  it('an unreachable master (a closed port) is a DistributedError within the timeout, naming address and port', async () => {
    const port = await closedPort();
    const t0 = Date.now();
    const err = await rejection(TcpStore.connect({ host: HOST, port, timeoutMs: 400 }));
    expect(Date.now() - t0).toBeLessThan(400 + 5_000);
    expect(err.message).toMatch(new RegExp(`^cannot reach the rendezvous store at ${HOST}:${port} within 400 ms \\(last error: connect ECONNREFUSED ${HOST}:${port}\\)`));
  });

  it('connect retries until a master that starts later listens', async () => {
    const port = await closedPort();
    const connecting = TcpStore.connect({ host: HOST, port, timeoutMs: TIMEOUT });
    // Wait for at least one refused attempt before the server exists, by probing the port ourselves.
    await new Promise<void>((resolve) => rawConnect(port, HOST).on('error', () => resolve()));
    const server = await TcpStore.serve({ host: HOST, port, worldSize: 1, timeoutMs: TIMEOUT });
    open.push(server);
    const s = await connecting;
    open.push(s);
    await s.set('k', 'v');
    expect(await s.check(['k'])).toBe(true);
  });

  it('a server that goes away fails the pending GET with a DistributedError', async () => {
    const server = await serve();
    const s = await client(server.port);
    const pending = s.get('never');
    await server.close();
    expect((await rejection(pending)).message).toMatch(new RegExp(`^get\\('never'\\) failed: the store at ${HOST}:${server.port} closed the connection`));
    expect((await rejection(s.get('k'))).message).toMatch(/^get\('k'\) failed: the store at .* closed the connection/);
  });

  it('close() fails pending requests and later ones', async () => {
    const server = await serve();
    const s = await client(server.port);
    const pending = s.get('never');
    await s.close();
    expect((await rejection(pending)).message).toBe("get('never') failed: the store client was closed");
    expect((await rejection(s.check(['a']))).message).toBe("check('a') failed: the store client was closed");
  });

  it('waitForWorkers resolves when worldSize clients came, and names the count after its timeout', async () => {
    const server = await serve(3);
    await Promise.all([client(server.port), client(server.port), client(server.port)]);
    await server.waitForWorkers();
    const lonely = await serve(3, 200);
    await client(lonely.port);
    expect((await rejection(lonely.waitForWorkers())).message).toBe(`only 1 of 3 ranks connected to the rendezvous store on ${HOST}:${lonely.port} within 200 ms`);
  });

  it('answers an unknown op and a malformed request with an error reply, in order', async () => {
    const server = await serve();
    const socket = rawConnect(server.port, HOST);
    open.push({ close: async () => void socket.destroy() });
    const reader = new FrameReader();
    const replies: { ok: boolean; text: string }[] = [];
    const three = new Promise<void>((resolve) =>
      socket.on('data', (chunk: Uint8Array) => {
        for (const rest of reader.push(chunk)) {
          const r = decodeReply(rest);
          replies.push({ ok: r.ok, text: text(r.value) });
        }
        if (replies.length === 3) resolve();
      }),
    );
    const unknown = encodeRequest(Op.SET, 'k');
    unknown[4] = 9;
    const malformed = Uint8Array.of(5, 0, 0, 0, 1, 200, 0, 0, 0);
    socket.write(Buffer.concat([unknown, malformed, encodeRequest(Op.CHECK, 'k')]));
    await three;
    expect(replies).toEqual([
      { ok: false, text: 'unknown op 9 (ops: 1 SET, 2 GET, 3 ADD, 4 CHECK)' },
      { ok: false, text: 'malformed request: the key length 200 runs past the frame\'s end' },
      { ok: true, text: '\u0000' },
    ]);
  });
});

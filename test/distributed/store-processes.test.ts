// The rendezvous store across processes, against the built package (dist/) as a user's script
// imports it: 2 and 4 ranks started by `rnnkit launch` meet through rank 0's store (check-in
// counter, barrier, every rank's key read by every rank), and a client process killed in the
// middle of a GET leaves the server serving the others.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TcpStore, type StoreServer } from '../../lib/distributed/index.js';
import { tempDir } from '../cli/fixtures.js';
import { requireBuiltCli, rnnkit } from '../cli/run-cli.js';

const fixture = (name: string): string => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
const TIMEOUT = 60_000;

describe('TcpStore across processes', () => {
  let cwd: string;
  beforeAll(() => {
    requireBuiltCli();
    cwd = tempDir();
  });
  let open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(open.map((o) => o.close()));
    open = [];
  });

  it.each([2, 4])('%i ranks check in, meet at a barrier and read each other’s keys', async (n) => {
    const r = await rnnkit(['launch', '--nproc-per-node', String(n), '--', process.execPath, fixture('store-rank.mjs')], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const lines = [...r.stdout.matchAll(/^\[rank (\d+)\] (.*)$/gm)].map((m) => JSON.parse(m[2]!) as { rank: number; arrived: number; others: string[] });
    expect(lines.map((l) => l.rank).sort()).toEqual([...Array(n).keys()]);
    expect(lines.map((l) => l.arrived).sort()).toEqual([...Array(n).keys()].map((i) => i + 1));
    for (const l of lines) expect(l.others).toEqual([...Array(n).keys()].map((i) => `hello from ${i}`));
  });

  it('a client killed mid-GET leaves the server serving the others; the key it waited for can still be set', async () => {
    const server: StoreServer = await TcpStore.serve({ host: '127.0.0.1', port: 0, worldSize: 2, timeoutMs: TIMEOUT });
    open.push(server);
    const child = spawn(process.execPath, [fixture('get-forever.mjs'), String(server.port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve) => child.stdout.setEncoding('utf8').on('data', (s: string) => s.includes('waiting') && resolve()));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const store = await TcpStore.connect({ host: '127.0.0.1', port: server.port, timeoutMs: TIMEOUT });
    open.push(store);
    await store.set('never-set', 'now set');
    expect(new TextDecoder().decode(await store.get('never-set'))).toBe('now set');
    expect(await store.add('n', 1)).toBe(1);
  });
});

// The Gloo process group (lib/distributed/gloo.ts over native/gloo/): 2 and 4 rank processes
// meeting through Gloo's FileStore or the TCP store protocol, results against sums computed here,
// a killed rank and mismatched calls as DistributedError within the timeout, and argument errors.
// Skips, saying why, when this build has no Gloo module.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GlooGroup, glooAvailable } from '../../lib/distributed/gloo.js';
import { TcpStore } from '../../lib/distributed/store.js';
import { ArgumentError, DisposedError, DistributedError, DTypeError, ShapeError } from '../../lib/errors.js';
import { tensor } from '../../lib/ops/creation.js';
import { transpose } from '../../lib/ops/views.js';
import { expectCollectives } from './expect-collectives.js';
import { runRanks, startRanks } from './ranks.js';

const gloo = glooAvailable();
if (!gloo.available) console.warn(`gloo tests skipped: ${gloo.reason}`);

const fileStore = () => ({ kind: 'file' as const, path: mkdtempSync(path.join(tmpdir(), 'rnnkit-gloo-')) });

describe.skipIf(!gloo.available)('gloo process group', () => {
  for (const worldSize of [2, 4]) {
    it(`${worldSize} ranks through a FileStore: allReduce sum/mean/max/min, broadcast, allGather, barrier`, async () => {
      const results = await runRanks(worldSize, { store: fileStore(), timeoutMs: 20_000, scenario: 'collectives' });
      expectCollectives(results, worldSize);
    });
  }

  it("2 ranks meeting through rnnkit's TcpStore (the native client against the TypeScript server)", async () => {
    const server = await TcpStore.serve({ host: '127.0.0.1', port: 0, worldSize: 2, timeoutMs: 20_000 });
    try {
      const [results] = await Promise.all([
        runRanks(2, { store: { kind: 'tcp', host: '127.0.0.1', port: server.port }, timeoutMs: 20_000, scenario: 'collectives' }),
        server.waitForWorkers(), // both ranks' native store clients connected
      ]);
      expectCollectives(results, 2);
    } finally {
      await server.close();
    }
  });

  it('a rank killed mid-allReduce: every other rank gets a DistributedError naming it within the timeout', async () => {
    const timeoutMs = 4000;
    const ranks = await startRanks(3, { store: fileStore(), timeoutMs, scenario: 'killed' });
    const victim = ranks[2]!;
    await Promise.all([victim.next('victim'), ranks[0]!.next('waiting'), ranks[1]!.next('waiting')]);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the survivors are inside allReduce
    victim.child.kill('SIGKILL');
    for (const survivor of ranks.slice(0, 2)) {
      const outcome = await survivor.next('error');
      expect(outcome.error, JSON.stringify(outcome)).toBe('DistributedError');
      expect(outcome.message).toMatch(/^allReduce: rank 2 is gone \(connection to 127\.0\.0\.1:\d+ (closed|reset)\) after \d+\.\d s$/);
      expect(outcome.elapsedMs as number).toBeLessThan(timeoutMs + 2000);
      expect(await survivor.exited).toBe(0);
    }
  });

  it('ranks that reduce different sizes all get a DistributedError naming both calls', async () => {
    const results = await runRanks(2, { store: fileStore(), timeoutMs: 10_000, scenario: 'mismatch' });
    for (const events of results) {
      expect(events[0]!.error).toBe('DistributedError');
      expect(events[0]!.message).toMatch(/ranks disagree: rank \d calls allReduce\(dtype 0, [45] elements/);
    }
  });

  describe('in one process (world size 1)', () => {
    it('checks its arguments with typed errors naming the op', async () => {
      const group = await GlooGroup.create({ rank: 0, worldSize: 1, store: fileStore(), timeoutMs: 5000, hostname: '127.0.0.1' });
      // Validation throws at the call, as every op's does; only the queued work rejects.
      expect(() => group.allReduce(tensor(Int32Array.from([1])), { op: 'mean' })).toThrow(DTypeError);
      expect(() => group.allReduce(tensor(Int32Array.from([1])), { op: 'mean' })).toThrow(/allReduce \(op 'mean'\): t must be float32/);
      const disposed = tensor([1, 2]);
      disposed.dispose();
      expect(() => group.allReduce(disposed)).toThrow(DisposedError);
      expect(() => group.allReduce(transpose(tensor([[1, 2], [3, 4]])))).toThrow(ShapeError);
      expect(() => group.allReduce(tensor([1]), { op: 'prod' as 'sum' })).toThrow(ArgumentError);
      expect(() => group.broadcast(tensor([1]), { src: 1 })).toThrow(/broadcast: src must be a rank in \[0, 0\], got 1/);
      expect(() => group.allGather('x' as never)).toThrow(ArgumentError);
      const t = tensor([3, 4]);
      await group.allReduce(t, { op: 'mean' });
      expect(Array.from(await t.data())).toEqual([3, 4]);
      group.destroy();
      expect(() => group.barrier()).toThrow(DistributedError);
    });

    it('refuses bad options', async () => {
      await expect(GlooGroup.create({ rank: 2, worldSize: 2, store: fileStore() })).rejects.toThrow(/rank must be in \[0, 1\], got 2/);
      await expect(GlooGroup.create({ rank: 0, worldSize: 1, store: { kind: 'ftp' } as never })).rejects.toBeInstanceOf(ArgumentError);
      await expect(GlooGroup.create({ rank: 0, worldSize: 1, store: fileStore(), timeoutMs: 0 })).rejects.toBeInstanceOf(ArgumentError);
    });

    it('a rendezvous that a rank never joins fails with a DistributedError at the timeout', async () => {
      const started = Date.now();
      await expect(GlooGroup.create({ rank: 0, worldSize: 2, store: fileStore(), timeoutMs: 800, hostname: '127.0.0.1' })).rejects.toBeInstanceOf(
        DistributedError,
      );
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });
});

// Gloo all-reduce bandwidth through rnnkit (lib/distributed/gloo.ts): 2 processes on this machine,
// float32 buffers of 1 MB to 100 MB, sum in place. Prints the algorithm bandwidth (bytes / time)
// and the bus bandwidth (x 2(n-1)/n, as nccl-tests), median of the repeats.
//   npm run build && node bench/gloo-allreduce.mjs
// It runs the built package (dist/), as a user would.

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const worldSize = 2;
const sizesMb = [1, 4, 16, 64, 100];
const repeats = 5;

async function rank() {
  const rk = await import('../dist/index.js');
  const { GlooGroup } = rk.distributed;
  const [r, dir] = [Number(process.env.BENCH_RANK), process.env.BENCH_DIR];
  const group = await GlooGroup.create({ rank: r, worldSize, store: { kind: 'file', path: dir }, hostname: '127.0.0.1' });
  for (const mb of sizesMb) {
    const t = rk.ones([Math.round((mb * 1e6) / 4)]);
    await group.allReduce(t); // warm-up: pairs' buffers, page faults
    const times = [];
    for (let i = 0; i < repeats; i++) {
      await group.barrier();
      const start = process.hrtime.bigint();
      await group.allReduce(t);
      times.push(Number(process.hrtime.bigint() - start) / 1e9);
    }
    times.sort((a, b) => a - b);
    const s = times[Math.floor(repeats / 2)];
    const bytes = t.size * 4;
    if (r === 0) {
      const algo = bytes / s / 1e9;
      console.log(`${String(mb).padStart(4)} MB  ${(s * 1e3).toFixed(2).padStart(8)} ms  algbw ${algo.toFixed(2)} GB/s  busbw ${((algo * 2 * (worldSize - 1)) / worldSize).toFixed(2)} GB/s`);
    }
    t.dispose();
  }
  group.destroy();
}

if (process.env.BENCH_RANK !== undefined) {
  await rank();
} else {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnnkit-gloo-bench-'));
  console.log(`rnnkit Gloo allReduce (sum, float32), ${worldSize} processes, median of ${repeats}`);
  const children = Array.from({ length: worldSize }, (_, r) =>
    spawn(process.execPath, [process.argv[1]], { stdio: 'inherit', env: { ...process.env, BENCH_RANK: String(r), BENCH_DIR: dir } }),
  );
  const codes = await Promise.all(children.map((c) => new Promise((resolve) => c.on('close', resolve))));
  if (codes.some((c) => c !== 0)) process.exit(1);
}

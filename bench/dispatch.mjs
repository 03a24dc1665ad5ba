// The cost of dispatching one small op: a queued 16-element add that is disposed unread, an add
// read with dataSync(), and an add read with await data(). Run `node bench/dispatch.mjs` after
// `npm run build`; a larger benchmark imports measureDispatch(). Not a test: nothing asserts a time.

import { fileURLToPath } from 'node:url';
import * as rk from '../dist/index.js';

const OPS_PER_BATCH = 2000;
const WARMUP_BATCHES = 3;
const BATCHES = 9;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Microseconds per op: `batch(n)` runs n ops; the median over BATCHES after warm-up. */
async function perOpUs(batch) {
  const batches = [];
  for (let i = 0; i < WARMUP_BATCHES + BATCHES; i++) {
    const start = process.hrtime.bigint();
    await batch(OPS_PER_BATCH);
    const us = Number(process.hrtime.bigint() - start) / 1e3 / OPS_PER_BATCH;
    if (i >= WARMUP_BATCHES) batches.push(us);
  }
  return median(batches);
}

/** Per-op microseconds of the three dispatch paths, on the CPU. */
export async function measureDispatch() {
  const a = rk.tensor(new Float32Array(16).fill(1), { shape: [16] });
  const b = rk.tensor(new Float32Array(16).fill(2), { shape: [16] });
  try {
    const queuedUs = await perOpUs((n) => {
      for (let j = 0; j < n; j++) rk.add(a, b).dispose();
    });
    await rk.sync('cpu');
    const readSyncUs = await perOpUs((n) => {
      for (let j = 0; j < n; j++) {
        const c = rk.add(a, b);
        c.dataSync();
        c.dispose();
      }
    });
    const readAsyncUs = await perOpUs(async (n) => {
      for (let j = 0; j < n; j++) {
        const c = rk.add(a, b);
        await c.data();
        c.dispose();
      }
    });
    return { queuedUs, readSyncUs, readAsyncUs };
  } finally {
    a.dispose();
    b.dispose();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { queuedUs, readSyncUs, readAsyncUs } = await measureDispatch();
  const threads = process.env.OMP_NUM_THREADS ?? 'default';
  console.log(`dispatch, 16-element add on the CPU (OMP_NUM_THREADS=${threads}), us per op:`);
  console.log(`  queued + dispose   ${queuedUs.toFixed(2)}`);
  console.log(`  + dataSync()       ${readSyncUs.toFixed(2)}`);
  console.log(`  + await data()     ${readAsyncUs.toFixed(2)}`);
}

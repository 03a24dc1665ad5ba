// `npm run bench:gpu`: a full LSTM training step on one CUDA GPU, rnnkit (cuDNN's fused RNN) and
// PyTorch (nn.LSTM, same cuDNN family) side by side: zero grads, forward over the padded batch
// (every sequence of length T), loss = sum(output) + sum(h), backward, Adam. Prints a markdown
// table: ms/step, the ratio to PyTorch, achieved TFLOP/s and % of the GPU's dense peak for the
// precision. Not a test: nothing here asserts a time.
//
//   npm run bench:gpu                        # all rows
//   npm run bench:gpu -- --rows 0,3          # some rows (0-based, in the table's order)
//   npm run bench:gpu -- --no-peer           # rnnkit only
//   RNNKIT_BENCH_PYTHON=python3 npm run bench:gpu   # a Python with torch+CUDA (default .venv-ref/bin/python)
//
// FLOPs per step: 24·N·T·H·(I+H) per layer and direction (8·N·T·H·(I+H) for the forward's
// matrix products, twice that backward), I being the layer's input width (2H above the first
// layer of a bidirectional stack). Exits with status 2 and the reason when no CUDA device works.

import * as rk from 'rnnkit';
import { lstmAndInput, median, pickRows, runPeer, timeSteps } from './common.mjs';

const TIMING = { warmup: 3, iters: Number(process.env.RNNKIT_BENCH_ITERS ?? 10) };
const LR = 1e-3;

// The issue's shapes: a 4-layer BiLSTM (H = input = 1024, T = 100, batch 64), and DeepBench's
// 1-layer LSTM (H = input = 2048, T = 25, batch 64 and 128); each in fp32, tf32 and bf16.
const SHAPES = [
  { layers: 4, bidirectional: true, input: 1024, hidden: 1024, time: 100, batch: 64 },
  { layers: 1, bidirectional: false, input: 2048, hidden: 2048, time: 25, batch: 64 },
  { layers: 1, bidirectional: false, input: 2048, hidden: 2048, time: 25, batch: 128 },
];
const ROWS = SHAPES.flatMap((s) => ['fp32', 'tf32', 'bf16'].map((precision) => ({ ...s, precision })));

// Dense (no sparsity) peaks in TFLOP/s from NVIDIA's H100 / H200 datasheets: FP32 on CUDA cores,
// TF32 and BF16 on tensor cores. H200 has H100 SXM's compute.
const PEAKS = [
  { match: /H100.*PCIe/i, name: 'H100 PCIe', fp32: 51.2, tf32: 378, bf16: 756 },
  { match: /H100|H200/i, name: 'H100/H200 SXM', fp32: 66.9, tf32: 494.7, bf16: 989.4 },
];

function flopsPerStep(row) {
  const dirs = row.bidirectional ? 2 : 1;
  let flops = 0;
  for (let k = 0; k < row.layers; k++) {
    const input = k === 0 ? row.input : dirs * row.hidden;
    flops += dirs * 24 * row.batch * row.time * row.hidden * (input + row.hidden);
  }
  return flops;
}

async function timeRnnkit(row) {
  const { lstm, x } = lstmAndInput(rk, row, { device: 'cuda' });
  const optimizer = new rk.optim.Adam(lstm.parameters(), { lr: LR });
  const step = async () => {
    optimizer.zeroGrad();
    const loss = rk.tidy(() => {
      const { output, state } = lstm.forward(x);
      return rk.add(rk.sum(output), rk.sum(state.h));
    });
    loss.backward();
    optimizer.step();
    await loss.data(); // queued after the step: the step is done when it resolves
    loss.dispose();
  };
  try {
    return { ms: median(await timeSteps(step, TIMING)) };
  } catch (err) {
    return { error: err.message.split('\n')[0] };
  } finally {
    optimizer.zeroGrad();
    optimizer.dispose();
    for (const p of lstm.parameters()) p.dispose();
    x.dispose();
  }
}

function timePytorch(row) {
  const args = [
    '--layers', String(row.layers), ...(row.bidirectional ? ['--bidirectional'] : []),
    '--input', String(row.input), '--hidden', String(row.hidden), '--batch', String(row.batch),
    '--time', String(row.time), '--precision', row.precision, '--lr', String(LR),
  ];
  return runPeer('gpu_lstm.py', args, TIMING);
}

const cuda = rk.backends().filter((b) => b.name === 'cuda');
const gpu = cuda.find((b) => b.available);
if (!gpu) {
  console.error(`bench/gpu-lstm.mjs: no CUDA device works here: ${cuda[0]?.detail ?? 'this build of rnnkit has no CUDA backend'}`);
  process.exit(2);
}

const rows = pickRows(ROWS);
const noPeer = process.argv.includes('--no-peer');
const peak = PEAKS.find((p) => p.match.test(gpu.gpu?.name ?? ''));
const v = gpu.versions;

console.log(`rnnkit on ${gpu.gpu?.name ?? gpu.device} (sm ${gpu.gpu?.computeCapability}; CUDA ${v?.cudaRuntime}, driver ${v?.cudaDriver}, cuDNN ${v?.cudnn}, cuBLAS ${v?.cublas}); median of ${TIMING.iters} steps after ${TIMING.warmup} warm-up`);
console.log(
  peak
    ? `% of peak against ${peak.name} dense peaks: fp32 ${peak.fp32}, tf32 ${peak.tf32}, bf16 ${peak.bf16} TFLOP/s`
    : '% of peak: n/a (no datasheet peak recorded for this GPU)',
);
console.log('Step: zero grads + forward + loss (sum of output and h) + backward + Adam; FLOPs 24·N·T·H·(I+H) per layer and direction\n');
console.log('| layers | dirs | I | H | T | batch | precision | rnnkit ms | PyTorch ms | rnnkit / PyTorch throughput | rnnkit TFLOP/s | % peak | PyTorch TFLOP/s |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
let peerInfo = null;
for (const row of rows) {
  const ours = await timeRnnkit(row);
  const peer = noPeer ? { error: '--no-peer' } : timePytorch(row);
  if (!peer.error) peerInfo ??= `PyTorch ${peer.torch}, cuDNN ${peer.cudnn}`;
  const flops = flopsPerStep(row);
  const tflops = (ms) => (flops / (ms / 1000) / 1e12).toFixed(1);
  const oursCells = ours.error ? [`failed: ${ours.error}`, ''] : [ours.ms.toFixed(2), tflops(ours.ms)];
  const pct = ours.error || !peak ? 'n/a' : `${((flops / (ours.ms / 1000) / 1e12 / peak[row.precision]) * 100).toFixed(1)}%`;
  console.log(
    `| ${row.layers} | ${row.bidirectional ? 2 : 1} | ${row.input} | ${row.hidden} | ${row.time} | ${row.batch} | ${row.precision} | ` +
      `${oursCells[0]} | ${peer.error ? `n/a (${peer.error})` : peer.ms_per_iter.toFixed(2)} | ` +
      `${peer.error || ours.error ? 'n/a' : `${(peer.ms_per_iter / ours.ms).toFixed(2)}×`} | ${oursCells[1]} | ${pct} | ` +
      `${peer.error ? 'n/a' : tflops(peer.ms_per_iter)} |`,
  );
}
if (peerInfo) console.log(`\nPeer: ${peerInfo}.`);

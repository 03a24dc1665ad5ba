// `npm run bench:gpu`: full training steps on one CUDA GPU, rnnkit (cuDNN's fused RNN) and PyTorch
// (same cuDNN family) side by side, the two sides alternating step by step (bench/common.mjs's
// lockstep: PyTorch runs in its own process and times each of its steps between two
// torch.cuda.synchronize() calls). Rows:
//   - a bare LSTM stack: zero grads, forward over the padded batch (every sequence of length T),
//     loss = sum(output) + sum(h), backward, Adam; the 4-layer BiLSTM (H = input = 1024, T = 100,
//     batch 64) and DeepBench's 1-layer LSTM (H = input = 2048, T = 25, batch 64 and 128), each in
//     fp32 (TF32 off on both sides), tf32 and bf16 (PyTorch: autocast);
//   - the news classifier (bench/news-classifier.mjs) at H = 512, batch 64, T = 100, fp32, with
//     random lengths in [T/2, T] (PyTorch: pack_padded_sequence) and with equal lengths.
// Prints a markdown table: ms/step, the throughput ratio, achieved TFLOP/s and % of the GPU's
// dense peak for the precision. Not a test: nothing here asserts a time.
//
//   npm run bench:gpu                        # all rows
//   npm run bench:gpu -- --rows 0,9          # some rows (0-based, in the table's order)
//   npm run bench:gpu -- --steps 21          # timed steps per side (default 7)
//   npm run bench:gpu -- --no-peer           # rnnkit only
//   RNNKIT_BENCH_PYTHON=python3 npm run bench:gpu   # a Python with torch+CUDA (default .venv-ref/bin/python)
//
// FLOPs per step: 24·N·T·H·(I+H) per layer and direction (8·N·T·H·(I+H) for the forward's
// matrix products, twice that backward), I being the layer's input width (2H above the first
// layer of a bidirectional stack), N·T counting real (unpadded) tokens; the classifier's
// embedding and head are left out (under 1% of its FLOPs). Exits with status 2 and the reason
// when no CUDA device works.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as rk from 'rnnkit';
import { ITERS, lockstep, lstmAndInput, pickRows, WARMUP } from './common.mjs';
import { batchOf, EMBED, peerArgs as classifierPeerArgs, rnnkitStep as classifierStep } from './news-classifier.mjs';

const LR = 1e-3;

// The shapes: a 4-layer BiLSTM (H = input = 1024, T = 100, batch 64), and DeepBench's
// 1-layer LSTM (H = input = 2048, T = 25, batch 64 and 128); each in fp32, tf32 and bf16.
const SHAPES = [
  { layers: 4, bidirectional: true, input: 1024, hidden: 1024, time: 100, batch: 64 },
  { layers: 1, bidirectional: false, input: 2048, hidden: 2048, time: 25, batch: 64 },
  { layers: 1, bidirectional: false, input: 2048, hidden: 2048, time: 25, batch: 128 },
];
const ROWS = [
  ...SHAPES.flatMap((s) => ['fp32', 'tf32', 'bf16'].map((precision) => ({ model: 'lstm', ...s, precision }))),
  ...['random', 'equal'].map((lengths) => ({
    model: 'classifier', layers: 2, bidirectional: true, input: EMBED, hidden: 512, time: 100, batch: 64, precision: 'fp32', lengths,
  })),
];

// Dense (no sparsity) peaks in TFLOP/s from NVIDIA's H100 / H200 datasheets: FP32 on CUDA cores,
// TF32 and BF16 on tensor cores. H200 has H100 SXM's compute.
const PEAKS = [
  { match: /H100.*PCIe/i, name: 'H100 PCIe', fp32: 51.2, tf32: 378, bf16: 756 },
  { match: /H100|H200/i, name: 'H100/H200 SXM', fp32: 66.9, tf32: 494.7, bf16: 989.4 },
];

/** The recurrent stack's FLOPs of one training step over `tokens` real tokens. */
function flopsPerStep(row, tokens) {
  const dirs = row.bidirectional ? 2 : 1;
  let flops = 0;
  for (let k = 0; k < row.layers; k++) {
    const input = k === 0 ? row.input : dirs * row.hidden;
    flops += dirs * 24 * tokens * row.hidden * (input + row.hidden);
  }
  return flops;
}

/** A bare LSTM row's step (async) on CUDA, and its PyTorch peer's arguments. */
function lstmRow(row) {
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
  const dispose = () => {
    optimizer.zeroGrad();
    optimizer.dispose();
    for (const p of lstm.parameters()) p.dispose();
    x.dispose();
  };
  const args = [
    '--layers', String(row.layers), ...(row.bidirectional ? ['--bidirectional'] : []),
    '--input', String(row.input), '--hidden', String(row.hidden), '--batch', String(row.batch),
    '--time', String(row.time), '--precision', row.precision, '--lr', String(LR),
  ];
  return { step, dispose, script: 'gpu_lstm.py', args, tokens: row.batch * row.time };
}

/** A news classifier row on CUDA (its batch written to `dir` for the peer). */
function classifierRow(row, dir) {
  const batch = batchOf(row);
  const ours = classifierStep(rk, row, batch, 'cuda');
  const tokens = batch.lengths.reduce((a, b) => a + b, 0);
  return { step: ours.step, dispose: ours.dispose, script: 'torch_classifier.py', args: classifierPeerArgs(row, batch, dir, 'cuda'), tokens };
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
const dir = mkdtempSync(join(tmpdir(), 'rnnkit-bench-gpu-'));

console.log(`rnnkit on ${gpu.gpu?.name ?? gpu.device} (sm ${gpu.gpu?.computeCapability}; CUDA ${v?.cudaRuntime}, driver ${v?.cudaDriver}, cuDNN ${v?.cudnn}, cuBLAS ${v?.cublas}); median of ${ITERS} steps a side after ${WARMUP} warm-up, the two sides alternating step by step`);
console.log(
  peak
    ? `% of peak against ${peak.name} dense peaks: fp32 ${peak.fp32}, tf32 ${peak.tf32}, bf16 ${peak.bf16} TFLOP/s`
    : '% of peak: n/a (no datasheet peak recorded for this GPU)',
);
console.log('Step: zero grads + forward + loss + backward + Adam; FLOPs 24·N·T·H·(I+H) per layer and direction (recurrent stack only)\n');
console.log('| model | layers | dirs | I | H | T | batch | lengths | precision | rnnkit ms | PyTorch ms | rnnkit / PyTorch throughput | rnnkit TFLOP/s | % peak | PyTorch TFLOP/s |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
let peerInfo = null;
try {
  for (const row of rows) {
    let cells;
    let run = null;
    try {
      run = row.model === 'lstm' ? lstmRow(row) : classifierRow(row, dir);
      const t = await lockstep(run.step, run.script, run.args, { noPeer });
      if (!t.error) peerInfo ??= `PyTorch ${t.peer.torch}, cuDNN ${t.peer.cudnn ?? 'n/a'}`;
      const flops = flopsPerStep(row, run.tokens);
      const tflops = (ms) => flops / (ms / 1000) / 1e12;
      const pct = peak ? `${((tflops(t.ours) / peak[row.precision]) * 100).toFixed(1)}%` : 'n/a';
      cells = [
        t.ours.toFixed(2), t.error ? `n/a (${t.error})` : t.theirs.toFixed(2), t.error ? 'n/a' : `${(t.theirs / t.ours).toFixed(2)}×`,
        tflops(t.ours).toFixed(1), pct, t.error ? 'n/a' : tflops(t.theirs).toFixed(1),
      ];
    } catch (err) {
      cells = [`failed: ${err.message.split('\n')[0]}`, '', '', '', '', ''];
    } finally {
      run?.dispose();
    }
    console.log(
      `| ${row.model} | ${row.layers} | ${row.bidirectional ? 2 : 1} | ${row.input} | ${row.hidden} | ${row.time} | ${row.batch} | ${row.lengths ?? 'equal'} | ${row.precision} | ${cells.join(' | ')} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (peerInfo) console.log(`\nPeer: ${peerInfo}.`);

// The news classifier both classifier benchmarks train (bench/classifier.mjs on the CPU, the
// classifier rows of bench/gpu-lstm.mjs on CUDA): Embedding(20000, 128) -> 2-layer bidirectional
// LSTM(H) -> Linear(2H -> 4) on the top layer's final states, cross-entropy, Adam (lr 1e-3), and a
// seeded batch per row that the PyTorch peer (bench/peers/torch_classifier.py) reads from a file,
// so both sides train on the very same token ids, lengths and targets.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { drawLengths, lcg } from './common.mjs';

export const VOCAB = 20000;
export const EMBED = 128;
export const CLASSES = 4;
export const LR = 1e-3;

/** The batch of a row: ids [batch, time] (0 past each length), lengths, targets. */
export function batchOf(row) {
  const { batch: B, time: T } = row;
  const next = lcg(12345 + B * 7 + T + row.hidden);
  const lengths = drawLengths(row, next);
  const ids = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]; t++) ids[b * T + t] = 1 + (next() % (VOCAB - 1));
  const targets = Int32Array.from({ length: B }, () => next() % CLASSES);
  return { ids, lengths, targets };
}

/** The seeded model, its Adam and the batch's tensors, on `device`. */
export function setup(rk, row, batch, device = 'cpu') {
  rk.seed(0);
  const model = new rk.nn.SequenceClassifier({
    vocabSize: VOCAB, numClasses: CLASSES, embeddingDim: EMBED, hiddenSize: row.hidden,
    numLayers: 2, bidirectional: true, cell: 'lstm', pooling: 'last',
  }).to(device);
  const optimizer = new rk.optim.Adam(model.parameters(), { lr: LR });
  const ids = rk.tensor(batch.ids, { shape: [row.batch, row.time], device });
  const targets = rk.tensor(batch.targets, { shape: [row.batch], device });
  return { model, optimizer, ids, targets };
}

export function dispose({ model, optimizer, ids, targets }) {
  optimizer.zeroGrad();
  optimizer.dispose();
  for (const p of model.parameters()) p.dispose();
  ids.dispose();
  targets.dispose();
}

/** rnnkit's training step on `row`: `step()` (async) runs one, `loss()` is the last one's loss. */
export function rnnkitStep(rk, row, batch, device = 'cpu') {
  const ctx = setup(rk, row, batch, device);
  const { model, optimizer, ids, targets } = ctx;
  const { lengths } = batch;
  let lastLoss = NaN;
  const step = async () => {
    optimizer.zeroGrad();
    const loss = rk.tidy(() => rk.crossEntropy(model.forward(ids, { lengths }), targets));
    loss.backward();
    optimizer.step();
    lastLoss = (await loss.data())[0]; // queued after the step: the step is done when it resolves
    loss.dispose();
  };
  return { step, loss: () => lastLoss, dispose: () => dispose(ctx) };
}

/** The PyTorch peer's arguments for `row` on `device`, with the batch written where it reads it. */
export function peerArgs(row, batch, dir, device = 'cpu') {
  // int32 little-endian: ids [batch * time], lengths [batch], targets [batch].
  const file = join(dir, `batch-${row.hidden}-${row.batch}-${row.time}-${row.lengths}.bin`);
  const parts = [batch.ids, batch.lengths, batch.targets];
  writeFileSync(file, Buffer.concat(parts.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))));
  return [
    '--vocab', String(VOCAB), '--embed', String(EMBED), '--hidden', String(row.hidden),
    '--classes', String(CLASSES), '--batch', String(row.batch), '--time', String(row.time),
    '--data', file, '--lr', String(LR), '--device', device,
  ];
}

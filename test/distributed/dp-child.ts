// One rank of a test/distributed/dp*.test.ts run (bundled by ranks.ts; torchrun's variables in
// its environment, or none for the one-process reference): `node dp-child.mjs <json of DpArgs>`.
// Prints one JSON line per result on stdout.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import * as rk from '../../lib/index.js';
import { classifierExamples } from './dp-inputs.js';

export interface DpArgs {
  scenario: 'exact' | 'mismatch' | 'frozen' | 'nosync';
  /** Rows per optimizer step over all ranks. */
  globalBatch: number;
  /** Run without init() and DataParallel (the one-process reference). */
  single?: boolean;
  /** Where each rank's run-log folder goes (rank<r>/ inside). */
  dir?: string;
}

const args = JSON.parse(process.argv[2]!) as DpArgs;
const say = (event: object): void => void process.stdout.write(`${JSON.stringify(event)}\n`);
const flat = async (model: rk.nn.Module): Promise<Record<string, number[]>> =>
  Object.fromEntries(await Promise.all(model.namedParameters().map(async ([n, p]) => [n, Array.from(await p.data())] as const)));

if (!args.single) await rk.distributed.init({ backend: 'gloo', timeoutMs: 20_000 });
const { rank, worldSize } = args.single ? { rank: 0, worldSize: 1 } : rk.distributed.shardOptions();

function classifier(hiddenSize = 12): rk.nn.SequenceClassifier {
  // Each rank starts from its own weights: only the broadcast from rank 0 makes them agree.
  rk.seed(args.single ? 1 : rank + 1);
  return new rk.nn.SequenceClassifier({ vocabSize: 20, numClasses: 3, embeddingDim: 8, hiddenSize, numLayers: 2, bidirectional: true });
}

async function train(model: rk.nn.SequenceClassifier, data: rk.train.SequenceDataset, callbacks: rk.train.Callback[] = []): Promise<rk.train.History> {
  const trainable = args.single ? model : new rk.distributed.DataParallel(model);
  const optimizer = new rk.optim.Adam(model.parameters().filter((p) => p.requiresGrad), { lr: 0.01 });
  return rk.train.fit(trainable, {
    data,
    // 12 batches: divisible by 1, 2 and 4 ranks, so no rank repeats one and the means match one process.
    validationData: new rk.train.SequenceDataset(classifierExamples(24, 9), { batchSize: 2, shuffle: false, rank, worldSize }),
    epochs: 2,
    optimizer,
    loss: (logits, batch) => rk.crossEntropy(logits, batch.targets),
    metrics: [new rk.train.Accuracy()],
    progress: 'off',
    callbacks: [...callbacks, ...(args.dir === undefined ? [] : runLogs(optimizer))],
  });
}

function runLogs(optimizer: rk.optim.Adam): rk.train.Callback[] {
  const dir = path.join(args.dir!, `rank${rank}`);
  mkdirSync(dir, { recursive: true });
  return [
    rk.train.checkpoint(path.join(dir, 'ckpt.safetensors'), optimizer),
    rk.train.csvLogger(path.join(dir, 'log.csv')),
    rk.train.historyLog(path.join(dir, 'history.jsonl')),
    rk.train.tensorBoard(path.join(dir, 'tb')),
  ];
}

// 80 examples, 2 epochs: 20 optimizer steps of globalBatch = 8 rows, each rank taking 8 / worldSize.
const dataset = () => new rk.train.SequenceDataset(classifierExamples(80, 3), { batchSize: args.globalBatch / worldSize, seed: 5, rank, worldSize });

if (args.scenario === 'exact') {
  const model = classifier();
  const history = await train(model, dataset());
  say({ params: await flat(model), history: history.epochs });
} else if (args.scenario === 'mismatch') {
  try {
    await new rk.distributed.DataParallel(classifier(rank === 1 ? 10 : 12)).ready;
    say({ error: null });
  } catch (err) {
    say({ error: (err as Error).name, message: (err as Error).message });
  }
} else if (args.scenario === 'frozen') {
  const model = classifier();
  model.embedding.freeze();
  const ddp = new rk.distributed.DataParallel(model);
  await ddp.ready;
  const before = await flat(model);
  await train(model, dataset());
  say({ before, after: await flat(model), embeddingGrad: model.embedding.parameters()[0]!.grad === null });
} else {
  const model = classifier();
  const ddp = new rk.distributed.DataParallel(model);
  await ddp.ready;
  const batch = [...dataset().batches(0)][0]!;
  const backward = () => rk.crossEntropy(ddp.forward(batch.inputs, { lengths: batch.lengths }), batch.targets);
  await ddp.noSync(() => backward().backward());
  const head = model.head.parameters()[0]!;
  const local = Array.from(await head.grad!.data());
  await ddp.backward(backward());
  say({ local, synced: Array.from(await head.grad!.data()) });
}
if (!args.single) await rk.distributed.destroy();

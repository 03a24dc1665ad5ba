// checkpoint(path, optimizer, { saveBest }): the file holds the best epoch's weights and metadata,
// and is not rewritten on worse epochs.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { uniform } from '../helpers.js';

function examples(n: number, seed: number): rk.train.Example[] {
  const v = uniform(n * 5, seed, 1, 10).map(Math.floor);
  return Array.from({ length: n }, (_, i) => ({ input: v.slice(i * 5, i * 5 + 5), target: Number(v[i * 5]! <= 4) }));
}

describe('checkpoint saveBest', () => {
  for (const [mode, scores, best] of [
    ['min', [3, 1, 2, 0.5, 4], [0, 1, 1, 3, 3]],
    ['max', [0.2, 0.6, 0.4, 0.6, 0.9], [0, 1, 1, 1, 4]], // a tie is not an improvement
  ] as const) {
    it(`mode ${mode}: after each epoch the file holds the best epoch so far, untouched by worse ones`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rnnkit-save-best-'));
      try {
        const path = join(dir, 'best.safetensors');
        rk.seed(6);
        const model = new rk.nn.SequenceClassifier({ vocabSize: 10, numClasses: 2, embeddingDim: 4, hiddenSize: 6 });
        const optimizer = new rk.optim.Adam(model.parameters(), { lr: 0.05 });
        const weights: Record<string, Float32Array>[] = [];
        const files: Buffer[] = [];
        await rk.train.fit(model, {
          data: new rk.train.SequenceDataset(examples(48, 1), { batchSize: 16, seed: 3 }),
          epochs: scores.length, optimizer, progress: 'off',
          loss: (logits, batch) => rk.crossEntropy(logits, batch.targets),
          callbacks: [
            { onEpochEnd: (log) => void (log.metrics.score = scores[log.epoch]!) },
            rk.train.checkpoint(path, optimizer, { saveBest: 'score', mode }),
            {
              onEpochEnd: () => {
                weights.push(Object.fromEntries(model.namedParameters().map(([n, p]) => [n, p.dataSync().slice()])));
                files.push(readFileSync(path));
              },
            },
          ],
        });
        for (let e = 0; e < scores.length; e++) {
          const b = best[e]!;
          // Not rewritten when the epoch is worse: the very same bytes as after the best epoch.
          expect(files[e]!.equals(files[b]!), `epoch ${e}`).toBe(true);
        }
        const last = best.at(-1)!;
        const { tensors, metadata } = await rk.io.load(path);
        try {
          for (const [name, values] of Object.entries(weights[last]!)) expect(tensors[name]!.dataSync(), name).toEqual(values);
          expect(metadata.epoch).toBe(last);
          expect((metadata.log as rk.train.EpochLog).metrics.score).toBe(scores[last]);
          expect((metadata.log as rk.train.EpochLog).epoch).toBe(last);
        } finally {
          for (const t of Object.values(tensors)) t.dispose();
        }
        // and the file resumes the run at the epoch after the best one
        const again = new rk.nn.SequenceClassifier({ vocabSize: 10, numClasses: 2, embeddingDim: 4, hiddenSize: 6 });
        const resumed = await rk.train.resume(path, again, new rk.optim.Adam(again.parameters(), { lr: 0.05 }));
        expect(resumed.initialEpoch).toBe(last + 1);
        for (const [name, p] of again.namedParameters()) expect(p.dataSync(), name).toEqual(weights[last]![name]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

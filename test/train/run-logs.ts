// A tiny real fit() for the run-log tests: a small LSTM classifier, a few epochs with validation,
// the given callbacks, and the loss of every step as fit() reported it.

import * as rk from '../../lib/index.js';

function examples(n: number, seed: number): rk.train.Example[] {
  let s = seed >>> 0;
  const random = (k: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 4294967296) * k);
  };
  return Array.from({ length: n }, () => {
    const input = Array.from({ length: 3 + random(6) }, () => 1 + random(9));
    return { input, target: Number(input[0]! <= 4) };
  });
}

export async function tinyFit(callbacks: rk.train.Callback[], epochs = 3): Promise<{ history: rk.train.History; stepLosses: number[] }> {
  rk.seed(3);
  const model = new rk.nn.SequenceClassifier({ vocabSize: 10, numClasses: 2, embeddingDim: 4, hiddenSize: 6 });
  const stepLosses: number[] = [];
  const history = await rk.train.fit(model, {
    data: new rk.train.SequenceDataset(examples(48, 1), { batchSize: 16, seed: 2 }),
    validationData: new rk.train.SequenceDataset(examples(16, 2), { batchSize: 16, shuffle: false }),
    epochs,
    optimizer: new rk.optim.Adam(model.parameters(), { lr: 0.01 }),
    loss: (logits, batch) => rk.crossEntropy(logits, batch.targets),
    metrics: [new rk.train.Accuracy()],
    progress: 'off',
    callbacks: [{ onStepEnd: (_step, loss) => void stepLosses.push(loss) }, ...callbacks],
  });
  return { history, stepLosses };
}

/** RFC 4180 CSV (quoted fields with doubled quotes, LF rows) as rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      rows.push([...row, field]);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) throw new Error('CSV does not end with a line break');
  return rows;
}

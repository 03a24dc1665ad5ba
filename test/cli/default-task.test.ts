// The demo task of `rnnkit train` (run in full by hand, not here: it takes about a minute): its
// generated data against the rule computed here, and the model and batches its plan builds.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { DEFAULT_LETTERS, DEFAULT_TASK, defaultTaskTexts } from '../../lib/cli/default-task.js';
import { demoPlan } from '../../lib/cli/train/demo.js';
import { parseArgs } from '../../lib/cli/argv.js';
import { settingsFor, TRAIN_FLAGS } from '../../lib/cli/train/flags.js';

/** The rule, written again: class 2·[first in a..h] + [last in a..h]. */
const classOf = (text: string): number => 2 * Number('abcdefgh'.includes(text[0]!)) + Number('abcdefgh'.includes(text.at(-1)!));

describe('the demo task', () => {
  const rows = defaultTaskTexts(4000, 5);

  it('is seeded, uses the letters a..p, lengths across [min, max], labels by the rule', () => {
    expect(defaultTaskTexts(50, 5)).toEqual(rows.slice(0, 50));
    expect(defaultTaskTexts(50, 6)).not.toEqual(rows.slice(0, 50));
    expect(DEFAULT_LETTERS).toBe('abcdefghijklmnop');
    const lengths = rows.map((r) => r.text.length);
    expect(Math.min(...lengths)).toBe(DEFAULT_TASK.minLength);
    expect(Math.max(...lengths)).toBe(DEFAULT_TASK.maxLength);
    for (const r of rows) {
      expect(r.text).toMatch(/^[a-p]+$/);
      expect(r.label).toBe(classOf(r.text));
    }
  });

  it('needs both ends: each class is about a quarter, and one end alone is right at most half the time', () => {
    const counts = [0, 0, 0, 0];
    for (const r of rows) counts[r.label]!++;
    for (const c of counts) expect(c / rows.length).toBeGreaterThan(0.2);
    // The best guess from one end: the most frequent class for each first (or last) letter.
    for (const end of [(t: string) => t[0]!, (t: string) => t.at(-1)!]) {
      const byLetter = new Map<string, number[]>();
      for (const r of rows) {
        const c = byLetter.get(end(r.text)) ?? [0, 0, 0, 0];
        c[r.label]!++;
        byLetter.set(end(r.text), c);
      }
      const best = [...byLetter.values()].reduce((s, c) => s + Math.max(...c), 0);
      expect(best / rows.length).toBeLessThan(0.56);
    }
    // The middle does not matter: changing it keeps the class, changing an end can flip it.
    const t = rows.find((r) => r.text.length > 3)!.text;
    const middle = t[0] + 'p'.repeat(t.length - 2) + t.at(-1);
    expect(classOf(middle)).toBe(classOf(t));
  });

  it("the plan builds a 2-layer bidirectional LSTM classifier and length-bucketed batches", () => {
    rk.seed(0);
    const settings = settingsFor('default', parseArgs([], TRAIN_FLAGS).flags);
    const plan = demoPlan(settings);
    const model = plan.model as rk.nn.SequenceClassifier;
    expect(model.rnn).toBeInstanceOf(rk.nn.LSTM);
    expect(model.rnn.config).toMatchObject({ numLayers: 2, bidirectional: true, hiddenSize: DEFAULT_TASK.model.hiddenSize });
    expect(model.namedParameters().map(([n]) => n)).toContain('rnn.weight_ih_l1_reverse');
    expect(plan.config).toMatchObject({ task: 'classify', model: { vocabSize: 18, numClasses: 4 }, tokenizer: { kind: 'char' } });
    let batches = 0;
    let examples = 0;
    for (const batch of plan.train.batches(0) as Iterable<rk.train.Batch>) {
      expect(batch.inputs.shape[0]).toBeLessThanOrEqual(DEFAULT_TASK.batchSize);
      expect(Math.max(...batch.lengths) - Math.min(...batch.lengths)).toBeLessThanOrEqual(4); // bucketed
      examples += batch.lengths.length;
      batches++;
      const logits = rk.noGrad(() => model.forward(batch.inputs, { lengths: batch.lengths }));
      expect(logits.shape).toEqual([batch.lengths.length, 4]);
      for (const t of [logits, batch.inputs, batch.targets]) t.dispose();
      if (batches === 3) break;
    }
    expect(examples).toBeGreaterThan(0);
  });
});

// fit()'s progress report: a redrawn bar on a terminal, plain lines elsewhere, nothing when off.

import { describe, expect, it } from 'vitest';
import { Progress } from '../../lib/train/progress.js';

function sink(isTTY: boolean): { out: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const out = { isTTY, write: (s: string) => chunks.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { out, text: () => chunks.join('') };
}

const log = { epoch: 0, loss: 0.5, metrics: { accuracy: 0.75 }, valLoss: 0.25, valMetrics: { accuracy: 0.875 }, lr: 0.01, seconds: 2, tokensPerSecond: 1000 };

describe('Progress', () => {
  it('draws a bar with steps, loss, metrics, tokens/s and ETA on a terminal', () => {
    const { out, text } = sink(true);
    const p = new Progress('auto', out);
    p.startEpoch(0, 3, 10);
    p.step(5, 0.6931, 1234.5, { accuracy: 0.5 });
    // eslint-disable-next-line no-control-regex, no-regex-spaces -- the line's own double spaces and ANSI erase-line
    expect(text()).toMatch(/^\repoch 1\/3 \[=+\s+\] 5\/10  loss 0\.6931  accuracy 0\.5000  1235 tok\/s  eta [\d.]+s\x1b\[K$/);
    p.endEpoch(log);
    expect(text()).toContain('epoch 1/3  loss 0.5000  accuracy 0.7500  val_loss 0.2500  val_accuracy 0.8750  1000 tok/s  2.0s\x1b[K\n');
  });

  it('writes plain lines when not a terminal, and nothing when off', () => {
    const lines = sink(false);
    const p = new Progress('auto', lines.out);
    p.startEpoch(0, 1, undefined);
    p.endEpoch(log);
    expect(lines.text()).toBe('epoch 1/1  loss 0.5000  accuracy 0.7500  val_loss 0.2500  val_accuracy 0.8750  1000 tok/s  2.0s\n');
    const off = sink(true);
    const q = new Progress('off', off.out);
    q.startEpoch(0, 1, 3);
    q.step(1, 1, 1);
    q.endEpoch(log);
    expect(off.text()).toBe('');
  });
});

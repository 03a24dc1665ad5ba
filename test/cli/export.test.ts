// `rnnkit export` end to end, as a child process: a classifier checkpoint (the demo) and a
// language-model checkpoint become ONNX files whose onnxruntime outputs equal the checkpoint's own
// model in rnnkit (<= 1e-5), with FILE.json holding the tokenizer; usage and checkpoint errors.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../lib/cli/checkpoint.js';
import { padBatch } from '../../lib/train/dataset.js';
import { expectSame, runOnnx } from '../io/onnx-runtime.js';
import { LM_TEXT, tempDir, write } from './fixtures.js';
import { requireBuiltCli, rnnkit } from './run-cli.js';

const SMALL = ['--epochs', '1', '--hidden', '8', '--embedding', '8', '--progress', 'off'];

/** The checkpoint's model in rnnkit and the ONNX file in onnxruntime on the same texts. */
async function compare(dir: string, checkpoint: string, file: string, texts: string[], output: string): Promise<void> {
  const { model, tokenizer } = await loadCheckpoint(join(dir, checkpoint), ['classify', 'lm'], 'test');
  const batch = padBatch(texts.map((t) => ({ input: tokenizer.encode(t), target: 0 })));
  const onnx = await runOnnx(join(dir, file), {
    ids: { data: await batch.inputs.data(), dims: batch.inputs.shape },
    lengths: { data: batch.lengths, dims: [texts.length] },
  });
  const ours = model.predict(batch.inputs, { lengths: batch.lengths });
  await expectSame(`rnnkit export of ${checkpoint}`, onnx[output], ours);
  for (const t of [ours, batch.inputs, batch.targets]) t.dispose();
}

describe('rnnkit export', () => {
  let dir: string;
  beforeAll(async () => {
    requireBuiltCli();
    dir = tempDir();
    write(dir, 'corpus.txt', LM_TEXT);
    const trained = await Promise.all([
      rnnkit(['train', '--out', 'demo', ...SMALL], { cwd: dir }),
      rnnkit(['train', '--task', 'lm', '--data', 'corpus.txt', '--out', 'lm', '--time', '16', '--batch', '4', ...SMALL], { cwd: dir }),
    ]);
    for (const r of trained) expect(r.code, r.stderr).toBe(0);
  }, 240_000);

  it('writes a classifier checkpoint as ONNX that onnxruntime runs as rnnkit does, and its tokenizer beside', async () => {
    const r = await rnnkit(['export', '--checkpoint', 'demo', '--format', 'onnx', '--out', 'demo.onnx'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote demo\.onnx \([\d,]+ bytes, ONNX opset 17\) and demo\.onnx\.json \(tokenizer and config\)\n/);
    expect(r.stdout).toContain('  inputs   ids int32 [batch, time], lengths int32 [batch]\n  outputs  logits float32 [batch, 4]\n');
    const config = JSON.parse(readFileSync(join(dir, 'demo.onnx.json'), 'utf8')) as { task: string; tokenizer: { vocabulary: string[] } };
    expect(config.task).toBe('classify');
    expect(config.tokenizer.vocabulary.slice(0, 2)).toEqual(['', '[UNK]']);
    await compare(dir, 'demo', 'demo.onnx', ['ahbmhhceidblhmoflekiniaoeomglcf', 'pkcjdoa', 'abcdefghijklmnop'], 'logits');
  });

  it("runs examples/onnx-run.mjs (the README's recipe) on the export: the classes rnnkit predict gives", async () => {
    const r = await rnnkit(['export', '--checkpoint', 'demo', '--format', 'onnx', '--out', 'model.onnx'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const example = fileURLToPath(new URL('../../examples/onnx-run.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [example], { cwd: dir });
    const lines = stdout.trimEnd().split('\n').map((l) => l.split(': class '));
    expect(lines.map(([text]) => text)).toEqual(['ahbmhhceidblhmoflekiniaoeomglcf', 'pkcjdoa', 'dmmpnbo']);
    const predicted = await rnnkit(['predict', '--checkpoint', 'demo'], { cwd: dir, input: lines.map(([text]) => text).join('\n') });
    expect(predicted.code, predicted.stderr).toBe(0);
    expect(lines.map(([, c]) => c)).toEqual(predicted.stdout.trimEnd().split('\n'));
  });

  it('writes a language model with state inputs at another opset', async () => {
    const r = await rnnkit(['export', '--checkpoint', 'lm', '--format', 'onnx', '--out', 'lm.onnx', '--opset', '21', '--state-inputs'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ONNX opset 21');
    expect(r.stdout).toContain('  inputs   ids int32 [batch, time], lengths int32 [batch], h0 float32 [2, batch, 8], c0 float32 [2, batch, 8]\n');
    expect(r.stdout).toContain('  outputs  logits float32 [batch, time, 16], h_n float32 [2, batch, 8], c_n float32 [2, batch, 8]\n');
    const plain = await rnnkit(['export', '--checkpoint', 'lm', '--format', 'onnx', '--out', 'lm-plain.onnx'], { cwd: dir });
    expect(plain.code, plain.stderr).toBe(0);
    await compare(dir, 'lm', 'lm-plain.onnx', ['the cat sat', 'on the mat'], 'logits');
  });

  it('usage mistakes exit 2, a missing checkpoint 1, each with one line', async () => {
    const cases: [string[], 1 | 2, RegExp][] = [
      [['--format', 'onnx', '--out', 'x.onnx'], 2, /^rnnkit export: --checkpoint is required \(see 'rnnkit export --help'\)\n$/],
      [['--checkpoint', 'demo', '--out', 'x.onnx'], 2, /--format is required/],
      [['--checkpoint', 'demo', '--format', 'tflite', '--out', 'x.onnx'], 2, /--format must be one of onnx, got 'tflite'/],
      [['--checkpoint', 'demo', '--format', 'onnx'], 2, /--out is required/],
      [['--checkpoint', 'demo', '--format', 'onnx', '--out', 'x.onnx', '--opset', '16'], 2, /--opset must be >= 17, got 16/],
      [['--checkpoint', 'demo', '--format', 'onnx', '--out', 'x.onnx', '--opset', '22'], 2, /--opset must be <= 21, got 22/],
      [['--checkpoint', 'demo', '--format', 'onnx', '--out', 'x.onnx', '--state-inputs'], 2, /--state-inputs is for a language-model checkpoint/],
      [['--checkpoint', 'nowhere', '--format', 'onnx', '--out', 'x.onnx'], 1, /^rnnkit export: CheckpointError: no checkpoint at nowhere/],
    ];
    for (const [args, code, message] of cases) {
      const r = await rnnkit(['export', ...args], { cwd: dir });
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});

// io.exportOnnx's refusals: what ONNX cannot express is an ExportError naming the option or the
// layer, a bad argument an ArgumentError naming the argument, and nothing is written then; a fixed
// axis is declared and enforced (onnxruntime refuses another size); the read-back check catches a
// graph that reads a value before it is defined.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { checkEncoded } from '../../lib/io/onnx/check.js';
import { GraphBuilder } from '../../lib/io/onnx/graph.js';
import { encodeModel } from '../../lib/io/onnx/proto.js';
import { tempDirPerFile } from './interop-fixtures.js';
import { onnxFile, runOnnx } from './onnx-runtime.js';

const dir = tempDirPerFile('rnnkit-onnx-errors-');

async function refused(model: unknown, options: unknown, kind: typeof rk.RnnkitError, message: RegExp, path?: unknown): Promise<void> {
  const file = onnxFile(dir(), 'refused');
  const err = await rk.io.exportOnnx(model as rk.nn.Module, (path ?? file) as string, options as rk.io.ExportOnnxOptions).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(kind);
  expect(err).toBeInstanceOf(rk.RnnkitError);
  expect((err as Error).message).toMatch(message);
  expect(existsSync(file)).toBe(false);
}

describe('io.exportOnnx: what ONNX cannot express is an ExportError', () => {
  it('names LSTM projSize, cellClip and a precision other than fp32', async () => {
    const lstm = (o: Partial<rk.nn.LSTMOptions>) => new rk.nn.LSTM({ inputSize: 3, hiddenSize: 4, ...o });
    await refused(lstm({ projSize: 2 }), undefined, rk.ExportError, /rnn has options\.projSize = 2: ONNX's LSTM has no projection/);
    await refused(lstm({ cellClip: 1 }), undefined, rk.ExportError, /options\.cellClip = 1: ONNX's LSTM clip attribute clamps the gates' pre-activations/);
    await refused(lstm({ precision: 'bf16' }), undefined, rk.ExportError, /options\.precision = 'bf16'/);
    const classifier = new rk.nn.SequenceClassifier({ vocabSize: 5, numClasses: 2, embeddingDim: 3, hiddenSize: 3, precision: 'tf32' });
    await refused(classifier, undefined, rk.ExportError, /rnn has options\.precision = 'tf32'/);
    const seq = new rk.nn.Sequential(new rk.nn.Embedding(5, 3), new rk.nn.LSTM({ inputSize: 3, hiddenSize: 4, projSize: 2 }));
    await refused(seq, undefined, rk.ExportError, /layers\.1 has options\.projSize = 2/);
  });

  it('names a layer or model with no ONNX twin', async () => {
    const seq = new rk.nn.Sequential(new rk.nn.Linear(3, 4), new rk.nn.Sequential(new rk.nn.Conv1d(4, 4, 3)));
    await refused(seq, undefined, rk.ExportError, /layers\[1\.0\] \(Conv1d\) has no ONNX export \(exportable: Embedding, Linear/);
    await refused(new rk.nn.Sequential(new rk.nn.Dropout(0.1)), undefined, rk.ExportError, /Dropout layers alone/);
    await refused(new rk.nn.Linear(3, 4), undefined, rk.ExportError, /Linear has no ONNX export \(exportable: nn\.LSTM/);
  });
});

describe('io.exportOnnx: bad arguments are ArgumentErrors naming the argument', () => {
  const gru = new rk.nn.GRU({ inputSize: 3, hiddenSize: 4 });
  const classifier = new rk.nn.SequenceClassifier({ vocabSize: 5, numClasses: 2, embeddingDim: 3, hiddenSize: 3 });
  const cases: [string, unknown, unknown, RegExp, unknown?][] = [
    ['a model that is no module', { forward() {} }, undefined, /model must be an nn module, got/],
    ['null as the model', null, undefined, /model must be an nn module/],
    ['an empty path', gru, undefined, /path must be a file path or a file: URL/, ''],
    ['a number as the path', gru, undefined, /path must be a file path or a file: URL, got 17/, 17],
    ['an http: URL as the path', gru, undefined, /path must be a file path or a file: URL, got http:\/\/example.com\/m.onnx/, new URL('http://example.com/m.onnx')],
    ['options that are no object', gru, 'opset 17', /options must be an object/],
    ['an unknown option', gru, { opSet: 17 }, /unknown option 'opSet' \(known: opset, dynamicAxes, stateInputs\)/],
    ['opset 16', gru, { opset: 16 }, /options\.opset must be in 17\.\.21, got 16/],
    ['opset 22', gru, { opset: 22 }, /options\.opset must be in 17\.\.21, got 22/],
    ['a fractional opset', gru, { opset: 17.5 }, /options\.opset/],
    ['a string opset', gru, { opset: '17' }, /options\.opset/],
    ['dynamicAxes that is no object', gru, { dynamicAxes: true }, /options\.dynamicAxes: options must be an object/],
    ['an unknown axis', gru, { dynamicAxes: { features: 'f' } }, /unknown option 'features' \(known: batch, time\)/],
    ['a zero-sized axis', gru, { dynamicAxes: { batch: 0 } }, /options\.dynamicAxes\.batch must be an axis name .* or a positive integer size, got 0/],
    ['an axis name with a space', gru, { dynamicAxes: { time: 'two words' } }, /options\.dynamicAxes\.time must be an axis name/],
    ['the same name for both axes', gru, { dynamicAxes: { batch: 'n', time: 'n' } }, /the same name 'n'/],
    ['stateInputs that is no boolean', gru, { stateInputs: 1 }, /options\.stateInputs must be true or false/],
    ['stateInputs for a classifier', classifier, { stateInputs: true }, /options\.stateInputs is for an nn\.LanguageModel or a recurrent layer, not SequenceClassifier/],
  ];
  for (const [what, model, options, message, path] of cases) {
    it(what, () => refused(model, options, rk.ArgumentError, message, path));
  }

  it('a folder that does not exist is a CheckpointError, as io.save gives', async () => {
    await refused(gru, undefined, rk.CheckpointError, /cannot write .*model\.onnx/, join(dir(), 'missing', 'model.onnx'));
  });
});

describe('io.exportOnnx: axes and the read-back check', () => {
  it('a fixed batch size is declared, and onnxruntime refuses another', async () => {
    rk.seed(1);
    const file = onnxFile(dir(), 'fixed');
    const info = await rk.io.exportOnnx(new rk.nn.GRU({ inputSize: 2, hiddenSize: 3 }), pathToFileURL(file), { dynamicAxes: { batch: 2 } });
    expect(info.inputs[0]!.dims).toEqual([2, 'time', 2]);
    expect(info.outputs.map((o) => o.dims)).toEqual([[2, 'time', 3], [1, 2, 3]]);
    const feeds = (batch: number) => ({ x: { data: new Float32Array(batch * 4 * 2), dims: [batch, 4, 2] }, lengths: { data: new Int32Array(batch).fill(4), dims: [batch] } });
    expect((await runOnnx(file, feeds(2))).output!.dims).toEqual([2, 4, 3]);
    await expect(runOnnx(file, feeds(3))).rejects.toThrow(/dimension|Got invalid dimensions/i);
  });

  it('the check refuses a node that reads a value before it is defined', () => {
    const g = new GraphBuilder(17);
    const x = g.input('x', 'float32', [2]);
    g.output('y', 'float32', g.value('Add', [x.name, 'later'], [2]));
    const graph = g.graph('broken');
    const bytes = encodeModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph });
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(() => checkEncoded(bytes as Uint8Array, graph)).toThrow(/Add node reads later before it is defined/);
  });
});

// The API fuzzer shared by test/reliability/fuzz.test.ts (short form, in `npm test`) and
// scripts/reliability/fuzz.mjs (long form): fast-check draws calls across rnnkit's public API
// (tensor creation, every op, tensor methods, autograd, nn layers, optimizers, losses with class
// and positive weights, io, ONNX export, word vectors, text streams, tiny fit() runs, distributed
// options and the rendezvous store, the random generator)
// with wrong shapes, dtypes and devices, NaN/Inf, negative and huge sizes, disposed tensors,
// SharedArrayBuffer-backed and detached typed arrays, wrong lengths, wrong option types and
// hostile files. Each call must return or throw an RnnkitError; anything else is a finding, and
// so is a file read that allocates far more than the (tiny) file could hold.
//
// The library is passed in (`rk`), so the test runs the TypeScript sources and the script the
// built package. Calls are plain data (specs) until run, so a seed reproduces a run exactly and
// fast-check can shrink a finding to its smallest call.
//
// "Huge" sizes are chosen so that no allocation can succeed on a real machine (>= 2^42 elements,
// or beyond rnnkit's 2^48 limit): the fuzzer must never make the host swap.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng } from './rng.mjs';

/** Sizes no tensor may or can have (never between 2^31 and 2^42 elements: those would allocate). */
const WEIRD_SIZES = [-1, -7, 2 ** 42, 2 ** 48, 2 ** 48 + 1, 2 ** 53, 2 ** 64, 1e300, Infinity, -Infinity, NaN, 0.5, 2.5, -0];
const DEVICES = ['cpu', 'cuda', 'cuda:0', 'cuda:7', 'tpu', 'CPU', 'cpu:0', '', 'cuda:-1', 'cuda:x'];
const FILLS = ['random', 'random', 'random', 'zero', 'nan', 'inf', '-inf', 'huge', 'ints'];

/** Values of the wrong type for any argument. */
function junkValue(fc) {
  return fc.oneof(
    fc.constantFrom(undefined, null, true, false, 0, -1, 1, 3, NaN, Infinity, -Infinity, 1e300, -0, 0.5, 2 ** 53, 2 ** 64),
    fc.constantFrom('', 'x', 'cpu', 'cuda', 'cuda:7', 'tpu', 'float32', 'int32', 'float64', 'mean', '3'),
    fc.constantFrom('obj', 'arr', 'nestedArr', 'fn', 'symbol', 'bigint', 'date', 'map', 'f64', 'u8', 'sabF32', 'sabI32', 'detachedF32', 'detachedI32', 'f32', 'i32')
      .map((kind) => ({ $junk: kind })),
  );
}

/** Turns a junk spec into its value (fresh each time, so a detached buffer is detached now). */
function junkOf(spec) {
  if (spec === null || typeof spec !== 'object' || !('$junk' in spec)) return spec;
  switch (spec.$junk) {
    case 'obj': return { a: 1 };
    case 'arr': return [1, 2];
    case 'nestedArr': return [[1], [2, 3]];
    case 'fn': return () => 1;
    case 'symbol': return Symbol('fuzz');
    case 'bigint': return 3n;
    case 'date': return new Date(0);
    case 'map': return new Map([[1, 2]]);
    case 'f64': return new Float64Array([1, 2, 3, 4]);
    case 'u8': return new Uint8Array([1, 2, 3, 4]);
    case 'sabF32': return new Float32Array(new SharedArrayBuffer(16)).fill(1.5);
    case 'sabI32': return new Int32Array(new SharedArrayBuffer(16)).fill(2);
    case 'detachedF32': return detached(new Float32Array(4));
    case 'detachedI32': return detached(new Int32Array([1, 2, 3, 4]));
    case 'f32': return new Float32Array([1, 2, 3, 4]);
    case 'i32': return new Int32Array([1, 2, 3, 4]);
    default: throw new Error(`fuzz: unknown junk ${spec.$junk}`);
  }
}

/** A typed array whose buffer has been transferred away (length 0, buffer detached). */
function detached(array) {
  structuredClone(array.buffer, { transfer: [array.buffer] });
  return array;
}

/** word2vec binary bytes: the header line, then per row its word, a space, its float32 values and '\n'. */
function binaryVectors(header, rows) {
  return Buffer.concat([Buffer.from(header), ...rows.flatMap(([word, values]) => [Buffer.from(word), Buffer.from(' '), Buffer.from(Float32Array.from(values).buffer), Buffer.from('\n')])]);
}

/** Word-vector files, well-formed and hostile (headers claiming huge counts or dimensions among them). */
const VECTOR_FILES = {
  glove: 'a 1 2\nb 3 4\nc 0.5 -1e-3\n',
  word2vec: '3 2\na 1 2\nb 3 4\nc 5 6\n',
  binary: binaryVectors('2 2\n', [['a', [1, 2]], ['b', [3, 4]]]),
  ragged: 'a 1 2\nb 3\n',
  hugeHeader: '99999999999 99999999999\na 1\n',
  hugeCount: '99999999 300\na 1\n',
  hugeBinary: binaryVectors('1000 1048576\n', [['a', [1]]]),
  hugeBinaryCount: '65536 1048576\nab ',
  negativeDim: '3 -1\na 1\n',
  exponentHeader: '1e9 300\na 1\n',
  headerOnly: '2 3\n',
  empty: '',
  blankLines: '\n\n \n',
  notNumbers: 'a NaN 1\nb Infinity 2\nc 0x10 3\n',
  repeated: 'a 1\nb 2\na 3\n',
  leadingSpace: ' a 1\n',
  bomCrlf: '\uFEFFa 1 2\r\nb 3 4\r\n',
  nonUtf8: Uint8Array.of(0xff, 0xfe, 0x20, 0x31, 0x0a, 0xc3, 0x28, 0x20, 0x32, 0x0a),
  nonUtf8Binary: binaryVectors('1 1\n', [[Uint8Array.of(0xff, 0xfe), [1]]]),
  longBinaryWord: `1 1\n${'x'.repeat(5000)}`,
  moreRowsThanHeader: '1 1\na 1\nb 2\n',
  wideRow: `a ${'1 '.repeat(3000)}\n`,
};

/** A file read may not raise memory by more than this: every file the fuzzer writes is tiny. */
const FILE_MEMORY_LIMIT = 64 * 2 ** 20;

/** Each optimizer's own options (hyper: a hyper-parameter value, mostly valid). */
const OPTIM_OPTIONS = {
  SGD: (h, b) => ({ lr: h, momentum: h, dampening: h, nesterov: b, weightDecay: h, maximize: b }),
  Adam: (h, b) => ({ lr: h, betas: h.map((v) => [v, 0.999]), eps: h, weightDecay: h, maximize: b }),
  AdamW: (h, b) => ({ lr: h, betas: h.map((v) => [0.9, v]), eps: h, weightDecay: h, maximize: b }),
  RMSprop: (h, b) => ({ lr: h, alpha: h, eps: h, momentum: h, centered: b, weightDecay: h, maximize: b }),
  Adagrad: (h, b) => ({ lr: h, lrDecay: h, weightDecay: h, initialAccumulatorValue: h, eps: h, maximize: b }),
};

function arbitraries(fc) {
  const junk = junkValue(fc);
  const size = fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(...WEIRD_SIZES) });
  const goodShape = fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 });
  const shape = fc.oneof({ weight: 8, arbitrary: goodShape }, { weight: 2, arbitrary: fc.array(size, { maxLength: 4 }) }, { weight: 1, arbitrary: junk });
  const axis = fc.oneof({ weight: 20, arbitrary: fc.integer({ min: -3, max: 3 }) }, { weight: 1, arbitrary: junk });
  const device = fc.oneof({ weight: 12, arbitrary: fc.constant('cpu') }, { weight: 4, arbitrary: fc.constantFrom(...DEVICES) }, { weight: 1, arbitrary: junk });
  const dtype = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('float32', 'int32') }, { weight: 2, arbitrary: fc.constantFrom('float64', 'bfloat16', 'float16', 'int64') }, { weight: 1, arbitrary: junk });
  const bool = fc.oneof({ weight: 30, arbitrary: fc.boolean() }, { weight: 1, arbitrary: junk });
  const number = fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) },
    { weight: 2, arbitrary: fc.constantFrom(0, 1, -1, 0.5, 0.999, 1e-8, NaN, Infinity, -Infinity, 1e300, -1e300, 2 ** 31, -(2 ** 31) - 1) },
    { weight: 1, arbitrary: junk },
  );

  // A real tensor argument: made before the call, maybe a view, maybe disposed.
  const tensorSpec = fc.record({
    shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
    dtype: fc.constantFrom('float32', 'float32', 'float32', 'int32'),
    fill: fc.constantFrom(...FILLS),
    view: fc.constantFrom('none', 'none', 'none', 'transpose', 'slice', 'expand'),
    requiresGrad: fc.boolean(),
    disposed: fc.constantFrom(false, false, false, false, false, false, false, false, false, true),
    seed: fc.integer({ min: 0, max: 1e6 }),
  }).map((t) => ({ $tensor: t }));
  // An optimizer parameter: a float32 leaf that requires grad (sometimes disposed).
  const param = fc.record({ shape: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), seed: fc.integer({ min: 0, max: 1e6 }),
    disposed: fc.constantFrom(false, false, false, false, false, false, false, false, false, true) })
    .map((p) => ({ $tensor: { ...p, dtype: 'float32', fill: 'random', view: 'none', requiresGrad: true } }));
  const hyper = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(0, 0.001, 0.01, 0.1, 0.5, 0.9) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1, 2, NaN, Infinity) }, { weight: 1, arbitrary: junk });
  const arg = fc.oneof({ weight: 30, arbitrary: tensorSpec }, { weight: 2, arbitrary: number }, { weight: 1, arbitrary: junk });
  const tensorArg = fc.oneof({ weight: 30, arbitrary: tensorSpec }, { weight: 1, arbitrary: junk });
  const options = (record, requiredKeys = []) => fc.oneof({ weight: 30, arbitrary: fc.record(record, { requiredKeys }) }, { weight: 1, arbitrary: junk },
    { weight: 1, arbitrary: fc.constant({ typoOption: 1 }) });

  // Data for tensor(): typed arrays of any kind, nested arrays (ragged too), numbers, junk.
  const data = fc.oneof(
    fc.record({ kind: fc.constantFrom('f32', 'i32', 'f64', 'u8', 'sabF32', 'sabI32', 'detachedF32', 'detachedI32', 'flat', 'nested', 'ragged', 'strings', 'number'),
      length: fc.integer({ min: 0, max: 12 }), fill: fc.constantFrom(...FILLS), seed: fc.integer({ min: 0, max: 1e6 }) }).map((d) => ({ $data: d })),
    junk,
  );

  // Recurrent layers: mostly valid and small, sometimes wrong; x usually fits the layer.
  const small = fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5, NaN, 2 ** 40, '3') });
  const cellOptions = (cell) => fc.record({
    inputSize: small, hiddenSize: small,
    numLayers: fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 1, max: 2 }) }, { weight: 1, arbitrary: fc.constantFrom(0, -2, 2.5, 2 ** 40) }),
    bidirectional: bool, dropout: fc.oneof({ weight: 20, arbitrary: fc.constantFrom(0, 0.3) }, { weight: 1, arbitrary: fc.constantFrom(1, -0.1, NaN, '0.5') }),
    bias: bool, batchFirst: bool,
    ...(cell === 'LSTM' ? { projSize: fc.constantFrom(0, 0, 0, 0, 1, 1, 1, -1, 99), cellClip: fc.constantFrom(0, 0, 0, 1, 1, 1, -1, NaN) } : {}),
    ...(cell === 'RNN' ? { nonlinearity: fc.constantFrom('tanh', 'tanh', 'relu', 'relu', 'relu', 'gelu') } : {}),
  }, { requiredKeys: ['inputSize', 'hiddenSize'] });
  const rnnSpec = fc.constantFrom('LSTM', 'GRU', 'RNN').chain((cell) => fc.record({
    cell: fc.constant(cell),
    options: fc.oneof({ weight: 30, arbitrary: cellOptions(cell) }, { weight: 1, arbitrary: junk }),
  }));
  const lengths = fc.oneof(
    { weight: 12, arbitrary: fc.record({ kind: fc.constantFrom('i32', 'i32', 'i32', 'array', 'f32', 'sab', 'detached', 'junkArray'), values: fc.array(fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 6 }) }), { maxLength: 4 }) })
      .map((l) => ({ $lengths: l })) },
    { weight: 1, arbitrary: junk },
  );
  const state = fc.oneof(fc.record({ h: tensorArg, c: tensorArg }, { requiredKeys: [] }), junk);
  // An input made to fit the layer it goes to (its sizes are read off the layer at run time).
  const fitting = fc.record({ batch: fc.integer({ min: 1, max: 3 }), time: fc.integer({ min: 1, max: 4 }), seed: fc.integer({ min: 0, max: 1e6 }) }).map((f) => ({ $fitting: f }));

  // Mostly a valid value, sometimes a wrong one, so a call with several arguments still gets past its checks.
  const mostly = (valid, wrong) => fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: wrong });
  // A loss's weight tensor, its shape named relative to logits [...rows, classes] and made at run time.
  const lossWeight = mostly(
    fc.record({ shape: fc.constantFrom('classes', 'full', 'row', 'scalar', 'wrong', 'matrix', 'empty', 'classes', 'classes'),
      dtype: fc.constantFrom('float32', 'float32', 'int32', 'float32'), fill: fc.constantFrom(...FILLS), requiresGrad: fc.constantFrom(false, false, true, false),
      disposed: fc.constantFrom(false, false, false, false, false, false, false, false, false, true), seed: fc.integer({ min: 0, max: 1e6 }) }).map((w) => ({ $weight: w })),
    junk,
  );
  const reduction = mostly(fc.constantFrom('mean', 'sum', 'none'), fc.oneof(fc.constant('avg'), junk));
  // Token ids below 5 in an integer list ($lengths), sometimes with one that is negative, fractional or beyond int32.
  const ids = mostly(
    fc.record({ kind: fc.constantFrom('i32', 'array', 'f32', 'sab', 'detached', 'junkArray', 'i32', 'array', 'i32'), length: fc.integer({ min: 0, max: 24 }),
      bad: mostly(fc.constant(null), fc.constantFrom(-1, 1.5, 2 ** 31, NaN)), seed: fc.integer({ min: 0, max: 4 }) })
      .map(({ kind, length, bad, seed }) => ({ $lengths: { kind, values: [...Array.from({ length }, (_, i) => (3 * i + seed) % 5), ...(bad === null ? [] : [bad])] } })),
    junk,
  );
  const streamSize = mostly(fc.integer({ min: 1, max: 5 }), fc.oneof(fc.constantFrom(0, ...WEIRD_SIZES), junk));
  const tokenizer = mostly(fc.constantFrom('char', 'word').map((kind) => ({ $tokenizer: kind })), junk);
  const corpus = mostly(fc.constantFrom('ab ba ab ba ab\nab ba\n', 'a b a b a b a b a b', '\uFEFFab ab ab ab ab', 'a\r\nb\r\na\r\nb\r\na\r\n'),
    fc.oneof(fc.constantFrom('', '\n', 'a'), fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 48 })));
  const filePath = mostly(fc.constant('file'), fc.constantFrom('missing-dir', 'dir', '', 'url', 'junk'));
  const goodVectors = ['glove', 'word2vec', 'binary', 'bomCrlf'];
  const vectorFile = fc.oneof(
    { weight: 6, arbitrary: fc.record({ file: fc.constantFrom(...goodVectors), cut: mostly(fc.constant(null), fc.integer({ min: 0, max: 40 })) }).map((v) => ({ $vectorFile: v })) },
    { weight: 6, arbitrary: fc.record({ file: fc.constantFrom(...Object.keys(VECTOR_FILES).filter((k) => !goodVectors.includes(k))), cut: fc.constant(null) }).map((v) => ({ $vectorFile: v })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  );
  const format = mostly(fc.constantFrom('glove', 'word2vec', 'word2vec-binary'), fc.oneof(fc.constantFrom('fasttext', 'GloVe'), junk));
  const words = mostly(fc.uniqueArray(fc.constantFrom('a', 'b', 'ab', 'The', 'the', 'é', '[UNK]'), { maxLength: 4 }),
    fc.oneof(fc.array(fc.constantFrom('a', 'a', '', 'x y', '\n', 'b'), { minLength: 1, maxLength: 3 }), junk));
  // { words, vectors } as loadWordVectors returns it; $rows: vectors [words.length, dim] made at run time.
  const wordVectors = mostly(
    fc.record({ words, vectors: mostly(fc.record({ dim: fc.integer({ min: 0, max: 3 }), fill: fc.constantFrom(...FILLS), seed: fc.integer({ min: 0, max: 1e6 }) }).map((r) => ({ $rows: r })), tensorArg) }),
    junk,
  );

  const call = (name, args) => fc.record(args).map((a) => ({ name, args: a }));
  const unary = ['neg', 'tanh', 'sigmoid', 'relu', 'exp', 'log', 'contiguous', 'softmax', 'logSoftmax'];
  const binary = ['add', 'sub', 'mul', 'div', 'matmul', 'gather', 'mse'];
  return fc.oneof(
    call('tensor', { data, options: options({ shape, dtype, device, requiresGrad: bool }) }),
    call('full', { fn: fc.constantFrom('full', 'zeros', 'ones'), shape, value: number, options: options({ dtype, device, requiresGrad: bool }) }),
    call('unary', { fn: fc.constantFrom(...unary), x: arg, axis: fc.option(axis) }),
    call('binary', { fn: fc.constantFrom(...binary), a: arg, b: arg, options: options({ reduction: fc.constantFrom('mean', 'sum', 'none', 'max') }) }),
    call('reduce', { fn: fc.constantFrom('sum', 'mean', 'max'), x: arg, axis: fc.option(fc.oneof(axis, fc.array(axis, { maxLength: 3 }))), options: options({ keepDims: bool }) }),
    call('concat', { list: fc.oneof(fc.array(arg, { maxLength: 3 }), junk), axis: fc.option(axis) }),
    call('view', { fn: fc.constantFrom('reshape', 'permute', 'transpose', 'slice', 'narrow'), x: arg, shape, a: axis, b: axis, c: size, sizes: fc.option(shape) }),
    call('crossEntropyFit', { batch: fc.integer({ min: 1, max: 3 }), time: fc.option(fc.integer({ min: 1, max: 3 })), classes: fc.integer({ min: 1, max: 4 }),
      target: fc.constantFrom('valid', 'valid', 'valid', 'ignored', 'negative', 'too large'), seed: fc.integer({ min: 0, max: 1e6 }),
      options: options({ ignoreIndex: fc.constantFrom(-100, 0, 1, -1), reduction: fc.constantFrom('mean', 'sum', 'none'), labelSmoothing: fc.constantFrom(0, 0.1, 1, -0.5, NaN), lengths, weight: lossWeight }) }),
    call('crossEntropy', { logits: arg, targets: arg, options: options({ ignoreIndex: number, reduction: fc.constantFrom('mean', 'sum', 'none', 'avg'), labelSmoothing: number, lengths, weight: tensorArg }) }),
    call('bceFit', { batch: fc.integer({ min: 1, max: 3 }), time: fc.option(fc.integer({ min: 1, max: 3 })), classes: fc.integer({ min: 1, max: 4 }), seed: fc.integer({ min: 0, max: 1e6 }),
      logits: fc.constantFrom('random', 'nan', 'inf', 'huge', 'random', 'random'), targets: fc.constantFrom('multiHot', 'soft', 'nan', 'int32', 'wrongShape', 'multiHot', 'multiHot'),
      options: options({ weight: lossWeight, posWeight: lossWeight, reduction }), backward: fc.boolean() }),
    call('bceWithLogits', { logits: arg, targets: arg, options: options({ weight: tensorArg, posWeight: tensorArg, reduction }) }),
    call('fit', { model: fc.constantFrom('lm', 'classifier', 'lm'), data: mostly(fc.constantFrom('stream', 'unequal', 'examples', 'stream'), junk),
      accumulateSteps: fc.option(mostly(fc.integer({ min: 1, max: 3 }), fc.oneof(fc.constantFrom(0, -1, 2.5, 2 ** 31, 2 ** 53, 1e300, NaN, Infinity, '2'), junk))),
      stateful: fc.option(bool), validation: fc.boolean() }),
    call('textStream', { ids, options: options({ batchSize: streamSize, time: streamSize }, ['batchSize', 'time']), index: mostly(fc.integer({ min: 0, max: 1 }), fc.oneof(fc.integer({ min: -1, max: 6 }), junk)) }),
    call('readTextStream', { content: corpus, path: filePath, options: options({ batchSize: streamSize, time: streamSize, tokenizer }, ['batchSize', 'time', 'tokenizer']) }),
    call('wordVectors', { fn: fc.constantFrom('load', 'save', 'roundTrip', 'load', 'load'), file: vectorFile, name: fc.constantFrom('vectors.txt', 'vectors.bin', 'vectors.vec', 'vectors', 'vectors.txt'),
      path: filePath, wordVectors,
      options: options({ format, vocabulary: mostly(fc.array(fc.constantFrom('a', 'b', 'c', 'A', ''), { maxLength: 3 }), junk), limit: streamSize, duplicates: mostly(fc.constantFrom('error', 'first'), fc.oneof(fc.constant('last'), junk)) }),
      saveOptions: options({ format }) }),
    // The table: a [rows, dim] float32 tensor or Float32Array (with options.shape), or sometimes anything.
    call('fromPretrained', { source: fc.constantFrom('tensor', 'array', 'tensor'), rows: fc.integer({ min: 1, max: 4 }), dim: fc.integer({ min: 1, max: 4 }), seed: fc.integer({ min: 0, max: 1e6 }),
      embeddings: mostly(fc.constant(null), fc.oneof(tensorSpec, data, junk)), shape: mostly(fc.constant(null), shape),
      options: options({ freeze: bool, paddingIdx: mostly(fc.integer({ min: -1, max: 0 }), fc.oneof(fc.integer({ min: -5, max: 4 }), number)) }), ids: fc.oneof({ weight: 3, arbitrary: fitting }, { weight: 1, arbitrary: tensorArg }), backward: fc.boolean() }),
    call('alignVectors', { tokenizer: fc.oneof(fc.constant('fromVectors'), tokenizer), wordVectors,
      options: options({ seed: mostly(fc.integer({ min: 0, max: 100 }), number), std: mostly(fc.constantFrom(0, 0.1, 1), number) }),
      vectorOptions: options({ corpus: mostly(fc.oneof(fc.constantFrom('a b c', 'The the ab'), fc.array(fc.constantFrom('a b', 'zz'), { maxLength: 2 })), junk), minCount: streamSize, lowercase: bool,
        standardize: mostly(fc.constantFrom('lower_and_strip_punctuation', 'lower', 'strip_punctuation', 'none'), fc.oneof(fc.constant('upper'), junk)),
        split: mostly(fc.constant('whitespace'), fc.oneof(fc.constant('char'), junk)) }) }),
    call('dropout', { x: arg, p: number, options: options({ training: bool }) }),
    call('method', { fn: fc.constantFrom('item', 'dataSync', 'data', 'dispose', 'requiresGrad', 'toString', 'backward', 'using'), x: tensorArg, value: bool, gradient: fc.option(arg), retainGraph: bool }),
    call('backward', { fn: fc.constantFrom(...unary, 'sum', 'mean', 'max', 'mul', 'add', 'dropout'), x: tensorArg, other: arg, gradient: fc.option(arg), twice: fc.boolean() }),
    call('rnn', { layer: rnnSpec, x: fc.oneof({ weight: 3, arbitrary: fitting }, { weight: 1, arbitrary: tensorArg }), forward: options({ lengths, state }), eval: fc.boolean(), backward: fc.boolean(),
      step: fc.boolean(), stepState: fc.option(state) }),
    call('generate', { vocab: small, prompt: fc.oneof(fc.constantFrom('ab', 'a', 'ba b', '', 'zz'), junk), prompts: fc.option(fc.oneof(fc.array(fc.oneof(fc.constantFrom('ab', 'b', '', 'q'), junk), { maxLength: 3 }), junk)),
      usePrompt: fc.boolean(), valid: fc.boolean(), tokens: fc.boolean(), breakAfter: fc.integer({ min: 0, max: 3 }),
      options: options({ maxTokens: fc.oneof(small, number), temperature: number, topK: fc.oneof(small, number), topP: number, seed: number, stop: fc.oneof(fc.constantFrom('a', ''), junk), extra: bool }) }),
    call('inference', { fn: fc.constantFrom('predict', 'evaluate'), classes: small, data: fc.oneof(fc.constantFrom('source', 'lists', 'empty', 'ragged'), junk),
      options: options({ batchSize: small, epoch: small, metrics: fc.oneof(fc.constant('accuracy'), junk), loss: fc.oneof(fc.constant('ce'), junk) }) }),
    call('layer', { fn: fc.constantFrom('Linear', 'Embedding', 'Dropout', 'Sequential', 'SequenceClassifier', 'LanguageModel', 'LayerNorm', 'Conv1d', 'MultiheadAttention',
      'AttentionPooling', 'RecurrentSequential'), a: small, b: small, c: number,
      x: fc.oneof({ weight: 3, arbitrary: fitting }, { weight: 1, arbitrary: tensorArg }), lengths: fc.option(lengths), opt: bool, freeze: fc.constantFrom('none', 'none', 'none', 'freeze', 'unfreeze') }),
    fc.constantFrom('SGD', 'Adam', 'AdamW', 'RMSprop', 'Adagrad').chain((fn) => call('optim', {
      fn: fc.constant(fn),
      params: fc.oneof({ weight: 10, arbitrary: fc.array(param, { minLength: 1, maxLength: 3 }) }, { weight: 2, arbitrary: fc.array(tensorArg, { maxLength: 3 }) }, { weight: 1, arbitrary: junk },
        // Parameter groups: overrides per group (typos and junk too), a parameter maybe in two groups.
        { weight: 4, arbitrary: fc.array(fc.oneof({ weight: 12, arbitrary: fc.record({ params: fc.oneof({ weight: 8, arbitrary: fc.array(param, { maxLength: 2 }) }, { weight: 1, arbitrary: junk }),
          lr: hyper, weightDecay: hyper, typoOption: hyper }, { requiredKeys: ['params'] }) }, { weight: 1, arbitrary: junk }), { minLength: 1, maxLength: 3 }) }),
      options: fc.oneof({ weight: 20, arbitrary: fc.record(OPTIM_OPTIONS[fn](hyper, bool), { requiredKeys: fn === 'SGD' ? ['lr'] : [] }) }, { weight: 1, arbitrary: junk }),
      action: fc.constantFrom('step', 'step', 'zeroGrad', 'lr', 'groupLr', 'freeze', 'stateDict', 'loadStateDict', 'dispose', 'clipNorm', 'clipValue'), value: number, grads: fc.boolean() })),
    call('io', { fn: fc.constantFrom('encode', 'decode', 'saveTensors', 'loadTensors', 'save', 'load'), tensors: fc.oneof(fc.dictionary(fc.constantFrom('a', 'b', '__metadata__', 'optim.x', ''), arg, { maxKeys: 3 }), junk),
      metadata: fc.option(fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string({ maxLength: 4 }), junk), { maxKeys: 2 }), junk)),
      bytes: fc.oneof(fc.uint8Array({ maxLength: 64 }), junk), path: fc.constantFrom('file', 'missing-dir', 'dir', '', 'url', 'junk'),
      options: options({ file: junk, convert64: bool, device, strict: bool }) }),
    // io.exportOnnx of any exportable model (a recurrent layer of the rnn call's configs: projSize and
    // cellClip must be ExportErrors), a disposed or unexportable one, or junk; junk paths and options.
    call('exportOnnx', { model: fc.oneof({ weight: 6, arbitrary: rnnSpec },
      { weight: 4, arbitrary: fc.constantFrom('classifier', 'lm', 'sequential', 'disposed', 'attention', 'conv') }, { weight: 1, arbitrary: junk }),
    pooling: fc.constantFrom('last', 'mean', 'max', 'attention'), path: fc.constantFrom('file', 'file', 'file', 'missing-dir', 'dir', '', 'url', 'junk'),
    options: fc.option(options({ opset: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(17, 18, 21) }, { weight: 1, arbitrary: number }),
      dynamicAxes: fc.oneof(fc.record({ batch: fc.oneof(fc.constantFrom('batch', 2), junk), time: fc.oneof(fc.constantFrom('time', 3), junk) }, { requiredKeys: [] }), junk),
      stateInputs: bool })) }),
    // The distributed pieces that need no second process: torchrun's variables, the rendezvous
    // store's server and client (timeouts of a few ms: a valid connect to port 1 fails fast), a
    // Gloo group that no one else joins, and DataParallel outside init.
    call('distributed', { fn: fc.constantFrom('env', 'serve', 'connect', 'gloo', 'dataParallel'),
      env: fc.oneof(fc.dictionary(fc.constantFrom('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'LOCAL_WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'),
        fc.oneof(fc.constantFrom('0', '1', '3', '-1', ' 2', '1.5', '', '29500', '70000', 'host'), junk)), junk),
      options: fc.option(options({ host: fc.oneof(fc.constantFrom('127.0.0.1', ''), junk), port: fc.oneof(fc.constantFrom(0, 1, 65536), number),
        worldSize: small, rank: small, timeoutMs: fc.oneof(fc.constantFrom(1, 5), number), store: fc.oneof(fc.constantFrom('file', 'tcp'), junk), typo: bool })) }),
    call('global', { fn: fc.constantFrom('seed', 'setRandomState', 'sync', 'tidy', 'noGrad', 'memory', 'backends', 'getRandomState', 'keep'), value: fc.oneof(number, fc.constantFrom(...DEVICES)) }),
  );
}

function fillValues(n, fill, dtype, seed) {
  const next = rng(seed);
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    if (dtype === 'int32') out[i] = fill === 'huge' ? 2147483647 : fill === 'ints' || fill === 'random' ? Math.floor(next() * 8) - 2 : 0;
    else out[i] = { random: next() * 4 - 2, zero: 0, nan: i % 2 ? NaN : 1, inf: Infinity, '-inf': -Infinity, huge: 3e38, ints: Math.floor(next() * 8) - 2 }[fill];
  }
  return out;
}

/** Runs calls against rk, owning every tensor and module it makes. */
class Runner {
  constructor(rk) {
    this.rk = rk;
    this.owned = [];
    this.dir = mkdtempSync(join(tmpdir(), 'rnnkit-fuzz-'));
    this.file = join(this.dir, 'ckpt.safetensors');
  }

  own(value) {
    collectTensors(this.rk, value, this.owned);
    return value;
  }

  /** A spec's value: a live tensor, a fresh junk value, or the value itself. */
  make(spec) {
    const rk = this.rk;
    if (spec !== null && typeof spec === 'object' && '$tensor' in spec) {
      const t = spec.$tensor;
      const n = t.shape.reduce((a, b) => a * b, 1);
      const values = fillValues(n, t.fill, t.dtype, t.seed);
      let x = this.own(rk.tensor(values, { shape: t.shape, dtype: t.dtype }));
      if (t.view === 'transpose' && t.shape.length >= 2) x = this.own(x.transpose());
      else if (t.view === 'slice' && t.shape.length >= 1 && t.shape[0] > 1) x = this.own(x.narrow(0, 1, t.shape[0] - 1));
      else if (t.view === 'expand' && t.shape.length >= 1) x = this.own(rk.reshape(x, [1, ...x.shape]));
      if (t.requiresGrad && t.dtype === 'float32' && x.gradFn === null) x.requiresGrad = true;
      if (t.disposed) x.dispose();
      return x;
    }
    // Specs whose tensors are made to fit their call's other arguments, at run time.
    if (spec !== null && typeof spec === 'object' && ('$fitting' in spec || '$weight' in spec || '$rows' in spec)) return spec;
    if (spec !== null && typeof spec === 'object' && '$tokenizer' in spec) return this.tokenizer(spec.$tokenizer);
    if (spec !== null && typeof spec === 'object' && '$vectorFile' in spec) {
      const { file, cut } = spec.$vectorFile;
      return cut === null ? VECTOR_FILES[file] : VECTOR_FILES[file].slice(0, cut);
    }
    if (spec !== null && typeof spec === 'object' && '$data' in spec) return this.data(spec.$data);
    if (spec !== null && typeof spec === 'object' && '$lengths' in spec) return lengthsOf(spec.$lengths);
    if (Array.isArray(spec)) return spec.map((s) => this.make(s));
    if (spec !== null && typeof spec === 'object' && !('$junk' in spec) && isPlain(spec)) {
      return Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, this.make(v)]));
    }
    return junkOf(spec);
  }

  data(d) {
    const values = fillValues(d.length, d.fill, d.kind === 'i32' || d.kind === 'sabI32' || d.kind === 'detachedI32' ? 'int32' : 'float32', d.seed);
    switch (d.kind) {
      case 'f32': return Float32Array.from(values);
      case 'i32': return Int32Array.from(values);
      case 'f64': return Float64Array.from(values);
      case 'u8': return Uint8Array.from(values);
      case 'sabF32': { const a = new Float32Array(new SharedArrayBuffer(4 * d.length)); a.set(values); return a; }
      case 'sabI32': { const a = new Int32Array(new SharedArrayBuffer(4 * d.length)); a.set(values); return a; }
      case 'detachedF32': return detached(Float32Array.from(values));
      case 'detachedI32': return detached(Int32Array.from(values));
      case 'flat': return values;
      case 'nested': return d.length >= 2 ? [values.slice(0, d.length >> 1), values.slice(d.length >> 1, 2 * (d.length >> 1))] : [values];
      case 'ragged': return [values.slice(0, 1), values.slice(1)];
      case 'strings': return values.map(String);
      case 'number': return values[0] ?? NaN;
      default: throw new Error(`fuzz: unknown data ${d.kind}`);
    }
  }

  path(kind, file = this.file) {
    switch (kind) {
      case 'file': return file;
      case 'missing-dir': return join(this.dir, 'no', 'such', 'dir', 'x.safetensors');
      case 'dir': return this.dir;
      case 'url': return new URL(`file://${file}`);
      case '': return '';
      default: return { path: file };
    }
  }

  tokenizer(kind) {
    const { data } = this.rk;
    return kind === 'char' ? data.CharTokenizer.fromCorpus('ab \n') : data.WordTokenizer.fromCorpus('a b ab');
  }

  /** A $weight spec's tensor for logits [...rows, classes] (see lossWeight), or the value itself. */
  lossWeight(spec, rows, classes) {
    if (spec === null || typeof spec !== 'object' || !('$weight' in spec)) return spec;
    const w = spec.$weight;
    const shape = { classes: [classes], full: [...rows, classes], row: [...rows, 1], scalar: [], wrong: [classes + 1], matrix: [classes, classes], empty: [0] }[w.shape];
    return this.make({ $tensor: { ...w, shape, view: 'none' } });
  }

  /** options with its $weight specs made into tensors for logits [...rows, classes]. */
  lossOptions(options, rows, classes) {
    if (!isRecord(options)) return options;
    return Object.fromEntries(Object.entries(options).map(([k, v]) => [k, this.lossWeight(v, rows, classes)]));
  }

  /** { words, vectors } with a $rows spec made into vectors [words.length, dim], or the value itself. */
  wordVectors(wv) {
    if (!isRecord(wv) || wv.vectors?.$rows === undefined) return wv;
    const { dim, fill, seed } = wv.vectors.$rows;
    const rows = Array.isArray(wv.words) ? wv.words.length : 2;
    return { words: wv.words, vectors: this.make({ $tensor: { shape: [rows, dim], dtype: 'float32', fill, seed, view: 'none', requiresGrad: false, disposed: false } }) };
  }

  async run(call) {
    const rk = this.rk;
    const a = this.make(call.args);
    const own = (v) => this.own(v);
    switch (call.name) {
      case 'tensor': return own(rk.tensor(a.data, a.options));
      case 'full': return own(a.fn === 'full' ? rk.full(a.shape, a.value, a.options) : rk[a.fn](a.shape, a.options));
      case 'unary': return own(a.fn === 'softmax' || a.fn === 'logSoftmax' ? rk[a.fn](a.x, a.axis ?? undefined) : rk[a.fn](a.x));
      case 'binary': return own(a.fn === 'mse' ? rk.mse(a.a, a.b, a.options) : rk[a.fn](a.a, a.b));
      case 'reduce': return own(rk[a.fn](a.x, a.axis ?? undefined, a.options));
      case 'concat': return own(rk.concat(a.list, a.axis ?? undefined));
      case 'view':
        switch (a.fn) {
          case 'reshape': return own(rk.reshape(a.x, a.shape));
          case 'permute': return own(rk.permute(a.x, a.shape));
          case 'transpose': return own(rk.transpose(a.x, a.a, a.b));
          case 'slice': return own(rk.slice(a.x, a.shape, a.sizes ?? undefined));
          default: return own(rk.narrow(a.x, a.a, a.b, a.c));
        }
      case 'crossEntropy': return own(rk.crossEntropy(a.logits, a.targets, a.options));
      case 'crossEntropyFit': return this.crossEntropyFit(a);
      case 'bceFit': return this.bceFit(a);
      case 'bceWithLogits': return own(rk.bceWithLogits(a.logits, a.targets, a.options));
      case 'fit': return await this.trainFit(a);
      case 'textStream': return this.textStream(a);
      case 'readTextStream': return await boundedMemory(() => this.readTextStream(a));
      case 'wordVectors': return await boundedMemory(() => this.wordVectorsCall(a));
      case 'fromPretrained': return this.fromPretrained(a);
      case 'alignVectors': return own(await rk.data.alignVectors(...this.alignArgs(a)));
      case 'dropout': return own(rk.dropout(a.x, a.p, a.options));
      case 'method': return this.method(a);
      case 'backward': return this.backward(a);
      case 'rnn': return this.rnn(a);
      case 'generate': return await this.generate(a);
      case 'inference': return await this.inference(a);
      case 'layer': return this.layer(a);
      case 'optim': return this.optim(a);
      case 'io': return this.io(a);
      case 'exportOnnx': return await this.exportOnnx(a);
      case 'distributed': return await this.distributed(a);
      case 'global': return this.global(a);
      default: throw new Error(`fuzz: unknown call ${call.name}`);
    }
  }

  async method(a) {
    const x = a.x;
    if (x === null || typeof x !== 'object' || typeof x.dispose !== 'function') {
      // A method of a non-tensor is the user's TypeError, not ours: call through a tensor op instead.
      return this.own(this.rk.contiguous(x));
    }
    switch (a.fn) {
      case 'item': return x.item();
      case 'dataSync': return x.dataSync();
      case 'data': return await x.data();
      case 'dispose': x.dispose(); x.dispose(); return x.disposed;
      case 'requiresGrad': x.requiresGrad = a.value; return x.requiresGrad;
      case 'toString': return String(x);
      case 'using': { const y = this.rk.contiguous(x); y[Symbol.dispose](); return y.disposed; }
      default: return x.backward({ gradient: a.gradient ?? undefined, retainGraph: a.retainGraph });
    }
  }

  /** crossEntropy on logits [batch, (time,) classes] and int32 targets of the fitting shape. */
  crossEntropyFit(a) {
    const rk = this.rk;
    const shape = a.time === null ? [a.batch] : [a.batch, a.time];
    const n = shape.reduce((p, d) => p * d, 1);
    const logits = this.own(rk.tensor(fillValues(n * a.classes, 'random', 'float32', a.seed), { shape: [...shape, a.classes], requiresGrad: true }));
    const targets = fillValues(n, 'ints', 'int32', a.seed + 1).map((v, i) => {
      const valid = Math.abs(v) % a.classes;
      if (i > 0) return valid;
      return { valid, ignored: -100, negative: -3, 'too large': a.classes }[a.target];
    });
    const loss = this.own(rk.crossEntropy(logits, this.own(rk.tensor(Int32Array.from(targets), { shape })), this.lossOptions(a.options, shape, a.classes)));
    if (loss.size === 1) this.own(loss).backward();
    this.ownGrads([logits]);
    return loss;
  }

  /** bceWithLogits on logits [batch, (time,) classes] and float32 targets (mostly) of their shape, weights made to fit. */
  bceFit(a) {
    const rk = this.rk;
    const rows = a.time === null ? [a.batch] : [a.batch, a.time];
    const shape = [...rows, a.classes];
    const n = shape.reduce((p, d) => p * d, 1);
    const logits = this.own(rk.tensor(fillValues(n, a.logits, 'float32', a.seed), { shape, requiresGrad: true }));
    const values = fillValues(a.targets === 'wrongShape' ? n + n / a.classes : n, a.targets === 'nan' ? 'nan' : 'random', 'float32', a.seed + 1);
    const targets = this.own(a.targets === 'int32'
      ? rk.tensor(Int32Array.from(values, (v) => (v > 0 ? 1 : 0)), { shape, dtype: 'int32' })
      : rk.tensor(values.map((v) => (a.targets === 'multiHot' ? (v > 0 ? 1 : 0) : a.targets === 'soft' ? Math.abs(v) / 2 : v)),
        { shape: a.targets === 'wrongShape' ? [...rows, a.classes + 1] : shape }));
    try {
      const loss = this.own(rk.bceWithLogits(logits, targets, this.lossOptions(a.options, rows, a.classes)));
      if (a.backward && loss.size === 1) this.own(loss).backward();
      return loss;
    } finally {
      this.ownGrads([logits]);
    }
  }

  /** train.fit of a tiny model for one epoch over a few examples, with fuzzed accumulateSteps and stateful. */
  async trainFit(a) {
    const rk = this.rk;
    const model = a.model === 'lm'
      ? new rk.nn.LanguageModel({ vocabSize: 5, embeddingDim: 3, hiddenSize: 3 })
      : new rk.nn.SequenceClassifier({ vocabSize: 5, numClasses: 2, embeddingDim: 3, hiddenSize: 3 });
    this.ownModule(model);
    const ids = Array.from({ length: 13 }, (_, i) => (3 * i + 1) % 5);
    const stream = (batchSize) => rk.data.textStream(ids, { batchSize, time: 3 });
    const sources = {
      stream: () => stream(2),
      // Batches of 2 rows, then of 1: a stateful run cannot carry its state from one to the other.
      unequal: () => ({ *batches(epoch) { yield* stream(2).batches(epoch); yield* stream(1).batches(epoch); } }),
      examples: () => new rk.train.SequenceDataset([{ input: [1, 2], target: 0 }, { input: [3], target: 1 }, { input: [4, 4, 2], target: 0 }], { batchSize: 2 }),
    };
    const data = typeof a.data === 'string' && Object.hasOwn(sources, a.data) ? sources[a.data]() : a.data;
    const optimizer = new rk.optim.SGD(model.parameters(), { lr: 0.1 });
    try {
      return await rk.train.fit(model, {
        data, epochs: 1, optimizer, loss: (out, batch) => rk.crossEntropy(out, batch.targets), progress: 'off',
        ...(a.validation ? { validationData: data } : {}),
        ...(a.accumulateSteps === null ? {} : { accumulateSteps: a.accumulateSteps }),
        ...(a.stateful === null ? {} : { stateful: a.stateful }),
      });
    } finally {
      optimizer.dispose();
    }
  }

  /** data.textStream, every batch of it, then batch(index). */
  textStream(a) {
    const stream = this.rk.data.textStream(a.ids, a.options);
    this.own([...stream.batches(0)]);
    return this.own(stream.batch(a.index));
  }

  async readTextStream(a) {
    const file = join(this.dir, 'corpus.txt');
    writeFileSync(file, a.content);
    const stream = await this.rk.data.readTextStream(this.path(a.path, file), a.options);
    return this.own([...stream.batches(0)]);
  }

  /** io.loadWordVectors of a (hostile) file, io.saveWordVectors, or a save and load that must give back what was saved. */
  async wordVectorsCall(a) {
    const { io } = this.rk;
    const file = join(this.dir, a.name);
    const path = this.path(a.path, file);
    if (a.fn === 'load') {
      writeFileSync(file, a.file);
      return this.own(await io.loadWordVectors(path, a.options));
    }
    const saved = this.wordVectors(a.wordVectors);
    await io.saveWordVectors(path, saved, a.saveOptions);
    if (a.fn === 'save') return undefined;
    const loaded = this.own(await io.loadWordVectors(path, a.saveOptions));
    if (loaded.words.join('\n') !== saved.words.join('\n') || loaded.vectors.dataSync().join() !== saved.vectors.dataSync().join()) {
      throw new Error(`fuzz: saveWordVectors then loadWordVectors gave back ${describeCall(loaded.words)}, not the ${describeCall(saved.words)} saved (or other values)`);
    }
    return loaded;
  }

  fromPretrained(a) {
    const rk = this.rk;
    const values = fillValues(a.rows * a.dim, 'random', 'float32', a.seed);
    const table = a.embeddings ?? (a.source === 'array' ? Float32Array.from(values) : this.own(rk.tensor(values, { shape: [a.rows, a.dim] })));
    const shape = a.shape ?? (a.source === 'array' ? [a.rows, a.dim] : null);
    const m = rk.nn.Embedding.fromPretrained(table, shape === null || !isRecord(a.options) ? a.options : { ...a.options, shape });
    this.ownModule(m);
    const out = this.own(m.forward(this.fit(a.ids, m.numEmbeddings, { ids: true, rank: 2 })));
    if (a.backward && out.requiresGrad) this.own(rk.sum(out)).backward();
    return out;
  }

  /** alignVectors' arguments: a tokenizer (maybe WordTokenizer.fromVectors of the words), the vectors, the options. */
  alignArgs(a) {
    const wordVectors = this.wordVectors(a.wordVectors);
    const tokenizer = a.tokenizer === 'fromVectors' ? this.rk.data.WordTokenizer.fromVectors(wordVectors?.words, a.vectorOptions) : a.tokenizer;
    return [tokenizer, wordVectors, a.options];
  }

  /** An op on a tensor that may require grad, then backward() (sometimes twice). */
  backward(a) {
    const rk = this.rk;
    let y;
    if (['sum', 'mean', 'max'].includes(a.fn)) y = rk[a.fn](a.x);
    else if (a.fn === 'mul' || a.fn === 'add') y = rk[a.fn](a.x, a.other);
    else if (a.fn === 'dropout') y = rk.dropout(a.x, 0.5);
    else if (a.fn === 'softmax' || a.fn === 'logSoftmax') y = rk[a.fn](a.x);
    else y = rk[a.fn](a.x);
    this.own(y);
    try {
      y.backward({ gradient: a.gradient ?? undefined, retainGraph: a.twice });
      if (a.twice) y.backward({ gradient: a.gradient ?? undefined });
    } finally {
      this.ownGrads([a.x, a.other]);
    }
    return y;
  }

  ownGrads(values) {
    for (const v of values) if (v instanceof this.rk.Tensor && v.grad) this.owned.push(v.grad);
  }

  /** x, or for a $fitting spec a float32 [batch, time, features] (int32 ids below vocab for ids). */
  fit(x, features, { ids = false, rank = 3 } = {}) {
    if (x === null || typeof x !== 'object' || !('$fitting' in x)) return x;
    const { batch, time, seed } = x.$fitting;
    const shape = rank === 3 ? [batch, time, features] : rank === 2 ? [batch, ids ? time : features] : [features];
    const n = shape.reduce((p, d) => p * d, 1);
    const values = ids ? fillValues(n, 'ints', 'int32', seed).map((v) => Math.abs(v) % Math.max(features, 1)) : fillValues(n, 'random', 'float32', seed);
    return this.own(this.rk.tensor(values, { shape, dtype: ids ? 'int32' : 'float32' }));
  }

  rnn(a) {
    const { cell, options } = a.layer;
    const layer = new this.rk.nn[cell](options);
    if (a.eval) layer.eval();
    this.ownModule(layer);
    const x = this.fit(a.x, layer.config.inputSize, { rank: a.step ? 2 : 3 });
    const out = this.own(a.step ? layer.step(x, a.stepState ?? undefined) : layer.forward(x, a.forward));
    if (a.backward && out.output.requiresGrad) {
      const loss = this.own(this.rk.sum(out.output));
      loss.backward();
    }
    return out;
  }

  /** generate()/generateTokens() of a fresh character model, with fuzzed prompts and options. */
  async generate(a) {
    const rk = this.rk;
    const tokenizer = rk.data.CharTokenizer.fromCorpus('ab ');
    const model = new rk.nn.LanguageModel({ vocabSize: a.vocab === 2 ? 2 : a.vocab === 3 || typeof a.vocab === 'number' ? tokenizer.vocabSize : a.vocab, embeddingDim: 3, hiddenSize: 3 });
    this.ownModule(model);
    const { extra, ...fuzzed } = a.options ?? {};
    // Half the calls change one option of a valid call, so the native loop runs too.
    const [key] = Object.keys(fuzzed);
    const rest = a.valid ? { prompt: 'ab', maxTokens: 3, temperature: 0.7, seed: 1, ...(key === undefined ? {} : { [key]: fuzzed[key] }) } : fuzzed;
    const opts = { ...rest, ...(a.usePrompt && !a.valid ? { prompt: a.prompt } : {}), ...(a.prompts === null || a.valid ? {} : { prompts: a.prompts }), ...(extra === true ? { temp: 1 } : {}) };
    if (typeof opts.maxTokens === 'number' && opts.maxTokens > 50) opts.maxTokens = 50;
    if (!a.tokens) return rk.generate(model, tokenizer, opts);
    const ids = [];
    for await (const t of rk.generateTokens(model, tokenizer, opts)) {
      ids.push(t.id);
      if (ids.length > a.breakAfter) break;
    }
    return ids;
  }

  /** train.predict / train.evaluate of a small classifier over fuzzed data and options. */
  async inference(a) {
    const rk = this.rk;
    const model = new rk.nn.SequenceClassifier({ vocabSize: 5, numClasses: typeof a.classes === 'number' && a.classes >= 1 && a.classes <= 4 ? a.classes : 2, embeddingDim: 3, hiddenSize: 3 });
    this.ownModule(model);
    const examples = [{ input: [1, 2], target: 0 }, { input: [3], target: 1 }, { input: [4, 4, 2], target: 0 }];
    const data = { source: new rk.train.SequenceDataset(examples, { batchSize: 2 }), lists: examples.map((e) => e.input), empty: [], ragged: [[1], []] }[typeof a.data === 'string' ? a.data : ''] ?? a.data;
    const o = a.options ?? {};
    const opts = { ...o, ...(o.metrics === 'accuracy' ? { metrics: [new rk.train.Accuracy()] } : {}), ...(o.loss === 'ce' ? { loss: (out, b) => rk.crossEntropy(out, b.targets) } : {}) };
    return a.fn === 'predict' ? rk.train.predict(model, data, opts) : rk.train.evaluate(model, data, opts);
  }

  ownModule(module) {
    // Parameters are freed with their module by garbage collection (modules have no dispose());
    // gradients are ours to free.
    this.modules = (this.modules ?? []);
    this.modules.push(module);
  }

  layer(a) {
    const { nn } = this.rk;
    let m;
    switch (a.fn) {
      case 'Linear': m = new nn.Linear(a.a, a.b, a.opt === true ? { bias: false } : undefined); break;
      case 'Embedding': m = new nn.Embedding(a.a, a.b, typeof a.c === 'number' && a.opt === true ? { paddingIdx: Math.trunc(a.c) } : undefined); break;
      case 'Dropout': m = new nn.Dropout(a.c); break;
      case 'Sequential': m = new nn.Sequential(new nn.Linear(a.a, a.b), a.opt === true ? new nn.Dropout(0.1) : a.c); break;
      case 'SequenceClassifier': m = new nn.SequenceClassifier({ vocabSize: a.a, numClasses: a.b, embeddingDim: 3, hiddenSize: 3, pooling: a.opt === true ? 'max' : 'last' }); break;
      case 'LayerNorm': m = new nn.LayerNorm(a.opt === true ? [a.b, a.a] : a.a, typeof a.c === 'number' && a.c > 0 ? { eps: a.c } : undefined); break;
      case 'Conv1d': m = new nn.Conv1d(a.a, a.b, 2, { padding: a.opt === true ? 'same' : a.c, stride: 1 }); break;
      case 'MultiheadAttention': m = new nn.MultiheadAttention(a.a, a.opt === true ? 1 : a.b); break;
      case 'AttentionPooling': m = new nn.AttentionPooling(a.a, a.opt === true ? { hiddenSize: a.b } : undefined); break;
      case 'RecurrentSequential': m = new nn.Sequential(new nn.GRU({ inputSize: a.a, hiddenSize: a.b }), new nn.AttentionPooling(a.b)); break;
      default: m = new nn.LanguageModel({ vocabSize: a.a, embeddingDim: a.b, hiddenSize: a.b, tieWeights: a.opt === true });
    }
    this.ownModule(m);
    if (a.freeze === 'freeze') m.freeze();
    else if (a.freeze === 'unfreeze') m.freeze().unfreeze();
    const options = a.lengths === null ? undefined : { lengths: a.lengths };
    const ids = a.fn === 'Embedding' || a.fn === 'SequenceClassifier' || a.fn === 'LanguageModel';
    const x = this.fit(a.x, ids || ['Sequential', 'Linear', 'LayerNorm', 'MultiheadAttention', 'AttentionPooling', 'RecurrentSequential'].includes(a.fn) ? a.a : 3, { ids, rank: ids ? 2 : 3 });
    const model = a.fn === 'SequenceClassifier' || a.fn === 'LanguageModel';
    const takesLengths = a.fn === 'AttentionPooling' || a.fn === 'RecurrentSequential';
    if (a.fn === 'MultiheadAttention') return this.own(m.forward(x, x, x, options ? { lengths: a.lengths, needWeights: a.opt } : undefined));
    if (a.fn === 'Conv1d') return this.own(m.forward(x instanceof this.rk.Tensor && !x.disposed && x.shape.length === 3 ? this.own(x.transpose(1, 2)) : x));
    const out = this.own(model ? (a.c === 0 ? m.predict(x, options) : m.forward(x, options)) : takesLengths ? m.forward(x, options) : m.forward(x));
    return out;
  }

  optim(a) {
    const rk = this.rk;
    const Opt = rk.optim[a.fn];
    const { options, params } = a;
    // The tensors of a parameter list or of parameter groups ({ params } entries).
    const tensors = !Array.isArray(params) ? [] : params.flatMap((p) => (p instanceof rk.Tensor ? [p] : Array.isArray(p?.params) ? p.params : []));
    if (a.grads) {
      for (const p of tensors) {
        if (p instanceof rk.Tensor && !p.disposed && p.requiresGrad && p.size > 0) {
          this.own(rk.sum(rk.mul(p, p))).backward();
        }
      }
    }
    try {
      const opt = new Opt(params, options);
      switch (a.action) {
        case 'step': opt.step(); break;
        case 'zeroGrad': opt.zeroGrad(); break;
        case 'lr': opt.lr = a.value; break;
        case 'groupLr': opt.paramGroups[opt.paramGroups.length - 1].lr = a.value; opt.step(); break;
        case 'freeze': opt.params[0].requiresGrad = false; opt.step(); opt.params[0].requiresGrad = true; opt.step(); break;
        case 'stateDict': { const s = opt.stateDict(); this.own(s); opt.step(); const s2 = opt.stateDict(); this.own(s2); opt.loadStateDict(s); break; }
        case 'loadStateDict': opt.loadStateDict(this.make({ a: a.value })); break;
        case 'dispose': opt.dispose(); opt.step(); break;
        case 'clipNorm': this.own(rk.optim.clipGradNorm(params, a.value)); break;
        default: rk.optim.clipGradValue(params, a.value);
      }
      opt.dispose?.();
    } finally {
      this.ownGrads(tensors);
    }
  }

  async io(a) {
    const rk = this.rk;
    const { io } = rk;
    const path = this.path(a.path);
    switch (a.fn) {
      case 'encode': return await io.encode(a.tensors, a.metadata ?? undefined);
      case 'decode': return this.own(io.decode(a.bytes, a.options));
      case 'saveTensors': return await io.saveTensors(path, a.tensors, a.metadata ?? undefined);
      case 'loadTensors': return this.own(await io.loadTensors(path, a.options));
      case 'save': return await io.save(path, { tensors: a.tensors, metadata: a.metadata ?? undefined });
      default: {
        if (a.bytes instanceof Uint8Array && a.path === 'file') writeFileSync(this.file, a.bytes);
        return this.own(await io.load(path, a.options));
      }
    }
  }

  async exportOnnx(a) {
    const { nn, io } = this.rk;
    const spec = a.model;
    let model = spec;
    if (spec !== null && typeof spec === 'object' && 'cell' in spec) model = new nn[spec.cell](spec.options);
    else if (spec === 'classifier') model = new nn.SequenceClassifier({ vocabSize: 5, numClasses: 2, embeddingDim: 3, hiddenSize: 3, bidirectional: true, pooling: a.pooling });
    else if (spec === 'lm' || spec === 'disposed') model = new nn.LanguageModel({ vocabSize: 5, embeddingDim: 3, hiddenSize: 3, cell: a.pooling === 'max' ? 'gru' : 'lstm' });
    else if (spec === 'sequential') model = new nn.Sequential(new nn.Embedding(5, 3), new nn.LSTM({ inputSize: 3, hiddenSize: 2 }), new nn.AttentionPooling(2), new nn.Linear(2, 2));
    else if (spec === 'attention') model = new nn.MultiheadAttention(4, 2);
    else if (spec === 'conv') model = new nn.Sequential(new nn.Conv1d(3, 2, 2));
    // The parameters are the call's to free, so a tensor the export leaves alive is a finding.
    if (model instanceof nn.Module) this.own(model.parameters());
    if (spec === 'disposed') for (const p of model.parameters()) p.dispose();
    return await io.exportOnnx(model, this.path(a.path, join(this.dir, 'model.onnx')), a.options ?? undefined);
  }

  async distributed(a) {
    const { distributed, nn } = this.rk;
    const o = a.options && typeof a.options === 'object' ? { ...a.options } : a.options ?? undefined;
    if (o && typeof o === 'object') {
      if (o.store === 'file') o.store = { kind: 'file', path: join(this.dir, 'gloo-store') };
      else if (o.store === 'tcp') o.store = { kind: 'tcp', host: '127.0.0.1', port: 1 };
      if (o.typo === true) o.typo = 1;
      else delete o.typo;
    }
    switch (a.fn) {
      case 'env': return distributed.env(a.env);
      case 'serve': return await (await distributed.TcpStore.serve(o)).close();
      case 'connect': return await (await distributed.TcpStore.connect(o)).close();
      case 'gloo': return (await distributed.GlooGroup.create(o)).destroy();
      default: {
        const model = new nn.Linear(2, 2);
        this.own(model.parameters()); // the call's to free, so a tensor DataParallel keeps is a leak
        return new distributed.DataParallel(model, o);
      }
    }
  }

  async global(a) {
    const rk = this.rk;
    switch (a.fn) {
      case 'seed': return rk.seed(a.value);
      case 'setRandomState': return rk.setRandomState(a.value);
      case 'sync': return await rk.sync(a.value);
      case 'tidy': return rk.tidy(a.value);
      case 'noGrad': return rk.noGrad(a.value);
      case 'memory': return rk.memory();
      case 'backends': return rk.backends();
      case 'keep': return rk.keep(a.value);
      default: return rk.getRandomState();
    }
  }

  /** Whether any tensor of the call requires grad (its tape may hold tensors until collected). */
  usedGrad() {
    return this.owned.some((t) => t.requiresGrad || t.gradFn !== null);
  }

  /** Disposes every tensor made so far (and every gradient the calls left on them). */
  release() {
    for (const t of this.owned) {
      if (t.grad) { t.grad.dispose(); t.grad = null; }
      t.dispose();
    }
    this.owned = [];
    for (const m of this.modules ?? []) {
      for (const p of m.parameters()) { p.grad?.dispose(); p.grad = null; }
    }
    this.modules = [];
  }

  close() {
    this.release();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * fn's result, or a finding when it raised memory by more than FILE_MEMORY_LIMIT (an allocation
 * sized by what a tiny file claims, not by what it holds). Memory freed by a garbage collection
 * during fn can hide an allocation, never invent one.
 */
async function boundedMemory(fn) {
  const before = process.memoryUsage().arrayBuffers;
  const check = () => {
    const grown = process.memoryUsage().arrayBuffers - before;
    if (grown > FILE_MEMORY_LIMIT) throw new Error(`fuzz: the call raised memory by ${(grown / 2 ** 20).toFixed(0)} MiB reading a file of a few bytes`);
  };
  let result;
  try {
    result = await fn();
  } catch (err) {
    check();
    throw err;
  }
  check();
  return result;
}

/** A plain object (fast-check's records may have a null prototype). */
function isPlain(v) {
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype;
}

const isRecord = (v) => v !== null && typeof v === 'object' && isPlain(v);

/** A $lengths spec's integer list (per-sequence lengths, or token ids) in the kind of container asked for. */
function lengthsOf(l) {
  switch (l.kind) {
    case 'i32': return Int32Array.from(l.values);
    case 'array': return l.values;
    case 'f32': return Float32Array.from(l.values);
    case 'sab': { const a = new Int32Array(new SharedArrayBuffer(4 * l.values.length)); a.set(l.values); return a; }
    case 'detached': return detached(Int32Array.from(l.values));
    default: return l.values.map((v, i) => (i === 0 ? String(v) : v));
  }
}

/** Every Tensor in a result (tensors, arrays, plain objects, Decoded), into out. */
function collectTensors(rk, value, out, seen = new Set()) {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof rk.Tensor) { out.push(value); return; }
  if (Array.isArray(value)) for (const v of value) collectTensors(rk, v, out, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collectTensors(rk, v, out, seen);
}

/** A short, one-line rendering of a call for reports. */
export function describeCall(call) {
  const seen = new WeakSet();
  const text = JSON.stringify(call, (k, v) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'symbol' || typeof v === 'function') return String(v);
    if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
    if (v && typeof v === 'object') { if (seen.has(v)) return '[cycle]'; seen.add(v); }
    return v;
  });
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

/**
 * Runs `runs` random calls (seeded). Returns the tally by outcome ('ok' or the error's class
 * name) and by call, and the findings: calls that threw something other than an RnnkitError (or
 * a BackendError for a bad argument, which hides the real cause), each with its error and call.
 * onProgress(done) is called every 100 calls.
 */
export async function fuzzApi(rk, fc, { runs, seed, onProgress, onCall } = {}) {
  const runner = new Runner(rk);
  const outcomes = {};
  const byCall = {};
  const findings = new Map();
  let done = 0;
  const tally = (name, outcome) => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    byCall[name] ??= {};
    byCall[name][outcome] = (byCall[name][outcome] ?? 0) + 1;
  };
  try {
    await fc.assert(
      fc.asyncProperty(arbitraries(fc), async (call) => {
        onCall?.(call);
        let outcome = 'ok';
        const note = (kind, message, stack = '') => {
          const key = `${call.name}/${call.args.fn ?? ''}: ${kind}: ${message.replace(/\d+/g, 'N').slice(0, 160)}`;
          if (!findings.has(key)) findings.set(key, { outcome: kind, message, stack, call: describeCall(call) });
        };
        const liveBefore = rk.memory().tensors;
        try {
          await runner.run(call);
        } catch (err) {
          outcome = err instanceof rk.RnnkitError ? err.name : `NOT-RNNKIT ${err?.constructor?.name ?? typeof err}`;
          // A BackendError for a bad argument hides what was wrong: a finding too.
          if (!(err instanceof rk.RnnkitError) || err.name === 'BackendError') note(outcome, String(err?.message ?? err), String(err?.stack ?? ''));
        } finally {
          // Tensors the autograd tape saved and parameters of the call's modules are freed by
          // garbage collection (the backstop the design allows); everything else must be gone now.
          const gcOwned = runner.usedGrad() || ['rnn', 'layer', 'optim', 'backward', 'generate', 'inference', 'fit', 'fromPretrained'].includes(call.name);
          runner.release();
          const leaked = rk.memory().tensors - liveBefore;
          if (leaked > 0 && !gcOwned) note('leak', `${leaked} tensor(s) left alive after the call (${outcome}) and after disposing its inputs and outputs`);
        }
        tally(['layer', 'optim', 'io', 'global', 'wordVectors'].includes(call.name) ? `${call.name}.${call.args.fn}` : call.name, outcome);
        done++;
        if (done % 100 === 0) onProgress?.(done);
      }),
      { numRuns: runs, seed, endOnFailure: true, verbose: 0 },
    );
  } finally {
    runner.close();
  }
  return { runs: done, seed, outcomes, byCall, findings: [...findings.values()] };
}

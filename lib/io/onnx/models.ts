// The graphs of whole models: a bare recurrent layer, nn.SequenceClassifier and
// nn.LanguageModel. Every graph takes `lengths` (int32 [batch], each in 1..time) beside its
// sequence input, so padded batches compute what rnnkit computes with those lengths (a batch of
// full sequences passes lengths = time). nn.Sequential's graph is in sequential.ts.

import type { SequenceClassifier } from '../../nn/classifier.js';
import type { LanguageModel } from '../../nn/language-model.js';
import type { RecurrentLayer } from '../../nn/rnn.js';
import type { GraphBuilder, Value } from './graph.js';
import type { Dim } from './types.js';
import { emitEmbedding, emitLinear, constant } from './layers.js';
import { affine } from './ops.js';
import { attentionPool, lastPool, maxPool, meanPool } from './pooling.js';
import { emitRecurrent, type RecurrentState } from './recurrent.js';

/** The symbolic (or fixed) axes and the state inputs the caller asked for. */
export interface GraphOptions {
  batch: Dim;
  time: Dim;
  /** Add inputs h0 (and c0) for the initial state (recurrent layers, language models). */
  stateInputs: boolean;
}

/** h0 and c0 (LSTM) inputs [numLayers * D, batch, H]. */
function stateInputs(g: GraphBuilder, layer: RecurrentLayer, batch: Dim): RecurrentState {
  const { numLayers, bidirectional, hiddenSize, mode } = layer.config;
  const dims = [numLayers * (bidirectional ? 2 : 1), batch, hiddenSize];
  return { h: g.input('h0', 'float32', dims), c: mode === 'lstm' ? g.input('c0', 'float32', dims) : null };
}

function stateOutputs(g: GraphBuilder, state: RecurrentState): void {
  g.output('h_n', 'float32', state.h);
  if (state.c) g.output('c_n', 'float32', state.c);
}

/** Inputs x [batch, time, input] (or [time, batch, input]), lengths, (h0, c0); outputs output, h_n, (c_n). */
export async function recurrentGraph(g: GraphBuilder, layer: RecurrentLayer, o: GraphOptions): Promise<void> {
  const { batchFirst, inputSize } = layer.config;
  const x = g.input('x', 'float32', batchFirst ? [o.batch, o.time, inputSize] : [o.time, o.batch, inputSize]);
  const lengths = g.input('lengths', 'int32', [o.batch]);
  const initial = o.stateInputs ? stateInputs(g, layer, o.batch) : null;
  const r = await emitRecurrent(g, layer, 'rnn', x, lengths, initial);
  g.output('output', 'float32', r.output);
  stateOutputs(g, r.state);
}

/** Inputs ids int32 [batch, time], lengths; output logits [batch, numClasses]. */
export async function classifierGraph(g: GraphBuilder, m: SequenceClassifier, o: GraphOptions): Promise<void> {
  const ids = g.input('ids', 'int32', [o.batch, o.time]);
  const lengths = g.input('lengths', 'int32', [o.batch]);
  const { output: x } = await emitEmbedding(g, m.embedding, 'embedding', ids);
  const r = await emitRecurrent(g, m.rnn, 'rnn', x, lengths, null);
  let pooled: Value;
  if (m.pooling === 'last') pooled = lastPool(g, r.top);
  else if (m.pooling === 'mean') pooled = meanPool(g, r.output, lengths);
  else if (m.pooling === 'max') pooled = maxPool(g, r.output, lengths);
  else pooled = await attentionPool(g, m.attention!, 'attention', r.output, lengths);
  g.output('logits', 'float32', await emitLinear(g, m.head, 'head', pooled));
}

/** Inputs ids int32 [batch, time], lengths, (h0, c0); outputs logits [batch, time, vocab], h_n, (c_n). */
export async function languageModelGraph(g: GraphBuilder, m: LanguageModel, o: GraphOptions): Promise<void> {
  const ids = g.input('ids', 'int32', [o.batch, o.time]);
  const lengths = g.input('lengths', 'int32', [o.batch]);
  const initial = o.stateInputs ? stateInputs(g, m.rnn, o.batch) : null;
  const { output: x, table } = await emitEmbedding(g, m.embedding, 'embedding', ids);
  const r = await emitRecurrent(g, m.rnn, 'rnn', x, lengths, initial);
  let logits: Value;
  if (m.head !== null) {
    logits = await emitLinear(g, m.head, 'head', r.output);
  } else {
    // Tied weights: the output layer multiplies by the embedding table transposed, stored once.
    const tableT = g.value('Transpose', [table.name], [table.dims[1]!, table.dims[0]!]);
    logits = affine(g, r.output, tableT, await constant(g, 'head_bias', m.headBias!));
  }
  g.output('logits', 'float32', logits);
  stateOutputs(g, r.state);
}

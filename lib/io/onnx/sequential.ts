// nn.Sequential's graph: its layers (nested Sequentials flattened, as they run the same way) one
// after another, each layer's recurrent output passed on and `lengths` given to the layers that
// take it, as Sequential.forward() does. The graph input is `ids` (int32) when the first layer is
// an Embedding, else `x` (float32 [batch, time, features]); either is [time, batch, ...] when the
// first recurrent or attention-pooling layer is not batchFirst.

import { ExportError } from '../../errors.js';
import { AttentionPooling } from '../../nn/attention-pooling.js';
import { Dropout } from '../../nn/dropout.js';
import { Embedding } from '../../nn/embedding.js';
import { LayerNorm } from '../../nn/layer-norm.js';
import { Linear } from '../../nn/linear.js';
import type { Module } from '../../nn/module.js';
import { RecurrentLayer } from '../../nn/rnn.js';
import { Sequential } from '../../nn/sequential.js';
import type { GraphBuilder, Value } from './graph.js';
import { emitEmbedding, emitLayerNorm, emitLinear } from './layers.js';
import type { GraphOptions } from './models.js';
import { attentionPool } from './pooling.js';
import { emitRecurrent } from './recurrent.js';

function noExport(path: string, layer: Module): ExportError {
  const exportable = 'Embedding, Linear, Dropout, LayerNorm, LSTM, GRU, RNN, AttentionPooling, Sequential';
  return new ExportError(`io.exportOnnx: layers[${path}] (${layer.constructor.name}) has no ONNX export (exportable: ${exportable})`);
}

/** [path, layer] for every layer, nested Sequentials expanded ('2.0' is layer 0 of layer 2). */
function flatten(seq: Sequential, prefix = ''): [string, Module][] {
  return seq.layers.flatMap((layer, i): [string, Module][] =>
    layer instanceof Sequential ? flatten(layer, `${prefix}${i}.`) : [[`${prefix}${i}`, layer]],
  );
}

/** The features of the graph's float input: what the first layer that fixes them takes. */
function inputFeatures(layers: readonly [string, Module][]): number[] {
  for (const [path, layer] of layers) {
    if (layer instanceof RecurrentLayer) return [layer.config.inputSize];
    if (layer instanceof Linear) return [layer.inFeatures];
    if (layer instanceof AttentionPooling) return [layer.inputSize];
    if (layer instanceof LayerNorm) return [...layer.normalizedShape];
    if (!(layer instanceof Dropout)) throw noExport(path, layer);
  }
  throw new ExportError('io.exportOnnx: an nn.Sequential of Dropout layers alone has no input size to declare');
}

export async function sequentialGraph(g: GraphBuilder, seq: Sequential, o: GraphOptions): Promise<void> {
  const layers = flatten(seq);
  const laidOut = layers.find(([, l]) => l instanceof RecurrentLayer || l instanceof AttentionPooling)?.[1] as RecurrentLayer | AttentionPooling | undefined;
  const batchFirst = laidOut === undefined || (laidOut instanceof RecurrentLayer ? laidOut.config.batchFirst : laidOut.batchFirst);
  const [d0, d1] = batchFirst ? [o.batch, o.time] : [o.time, o.batch];
  let x: Value =
    layers[0]![1] instanceof Embedding ? g.input('ids', 'int32', [d0, d1]) : g.input('x', 'float32', [d0, d1, ...inputFeatures(layers)]);
  const lengths = laidOut === undefined ? null : g.input('lengths', 'int32', [o.batch]);
  for (const [path, layer] of layers) {
    const name = `layers.${path}`;
    if (layer instanceof Embedding) x = (await emitEmbedding(g, layer, name, x)).output;
    else if (layer instanceof Linear) x = await emitLinear(g, layer, name, x);
    else if (layer instanceof LayerNorm) x = await emitLayerNorm(g, layer, name, x);
    else if (layer instanceof RecurrentLayer) x = (await emitRecurrent(g, layer, name, x, lengths!, null)).output;
    else if (layer instanceof AttentionPooling) x = await attentionPool(g, layer, name, x, lengths!);
    else if (!(layer instanceof Dropout)) throw noExport(path, layer);
  }
  g.output('output', 'float32', x);
}

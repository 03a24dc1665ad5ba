// io.exportOnnx(): a model as an ONNX file that onnxruntime (or any ONNX runtime) runs, computing
// what the model's evaluation mode computes in rnnkit. Builds the graph (models.ts,
// sequential.ts), encodes it, reads the bytes back and checks them (check.ts), then writes the
// file atomically, as io.save() writes checkpoints.

import { describe } from '../../dtype.js';
import { ArgumentError, ExportError } from '../../errors.js';
import { SequenceClassifier } from '../../nn/classifier.js';
import { LanguageModel } from '../../nn/language-model.js';
import { Module } from '../../nn/module.js';
import { RecurrentLayer } from '../../nn/rnn.js';
import { Sequential } from '../../nn/sequential.js';
import { writeAtomic } from '../atomic.js';
import { checkPath, type PathLike } from '../../data/files.js';
import { checkEncoded } from './check.js';
import { GraphBuilder } from './graph.js';
import { classifierGraph, languageModelGraph, recurrentGraph } from './models.js';
import { checkExportOptions, irVersion, type ExportOnnxOptions } from './options.js';
import { encodeModel } from './proto.js';
import { sequentialGraph } from './sequential.js';

import type { OnnxExportInfo } from './types.js';

/**
 * Writes `model` as an ONNX file: an nn.LSTM / nn.GRU / nn.RNN (inputs x, lengths; outputs
 * output, h_n, c_n), an nn.SequenceClassifier (ids, lengths → logits), an nn.LanguageModel (ids,
 * lengths → logits, h_n, c_n) or an nn.Sequential of Embedding, Linear, Dropout, LayerNorm,
 * recurrent and AttentionPooling layers (ids or x, lengths → output). ids and lengths are int32
 * (lengths: each sequence's length in 1..time). The graph computes the model's evaluation mode
 * (dropout off). What ONNX cannot express (LSTM projSize, cellClip, a precision other than fp32, a
 * layer with no ONNX twin) is an ExportError; bad arguments are ArgumentErrors; a failed write is a
 * CheckpointError, as io.save()'s.
 */
export async function exportOnnx(model: Module, path: PathLike, options?: ExportOnnxOptions): Promise<OnnxExportInfo> {
  const op = 'io.exportOnnx';
  if (!(model instanceof Module)) throw new ArgumentError(`${op}: model must be an nn module, got ${describe(model)}`);
  const file = checkPath(op, path);
  const o = checkExportOptions(op, options);
  const stepping = model instanceof LanguageModel || model instanceof RecurrentLayer;
  if (o.stateInputs && !stepping) {
    throw new ArgumentError(`${op}: options.stateInputs is for an nn.LanguageModel or a recurrent layer, not ${model.constructor.name}`);
  }
  const g = new GraphBuilder(o.opset);
  if (model instanceof RecurrentLayer) await recurrentGraph(g, model, o);
  else if (model instanceof SequenceClassifier) await classifierGraph(g, model, o);
  else if (model instanceof LanguageModel) await languageModelGraph(g, model, o);
  else if (model instanceof Sequential) await sequentialGraph(g, model, o);
  else {
    throw new ExportError(
      `${op}: ${model.constructor.name} has no ONNX export (exportable: nn.LSTM, nn.GRU, nn.RNN, nn.SequenceClassifier, nn.LanguageModel, nn.Sequential)`,
    );
  }
  const graph = g.graph(model.constructor.name);
  const bytes = encodeModel({ irVersion: irVersion(o.opset), opsetImport: [{ domain: '', version: o.opset }], producerName: 'rnnkit', graph });
  if (typeof bytes === 'string') throw new ExportError(`${op}: the model does not encode (an exporter bug): ${bytes}`);
  const { inputs, outputs } = checkEncoded(bytes, graph);
  await writeAtomic(op, file, bytes);
  return { path: file, bytes: bytes.length, opset: o.opset, inputs, outputs };
}

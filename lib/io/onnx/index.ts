// io.exportOnnx as the package exports it: the exporter, and with it onnx-proto (protobufjs and
// ONNX's compiled schema, about 70 ms to load), is imported on the first export, so that
// `import 'rnnkit'` does not pay for it.

import type { PathLike } from '../../data/files.js';
import type { Module } from '../../nn/module.js';
import type { ExportOnnxOptions } from './options.js';
import type { OnnxExportInfo } from './types.js';

export type { ExportOnnxOptions } from './options.js';
export type { OnnxExportInfo, OnnxValueInfo } from './types.js';

/**
 * Writes `model` as an ONNX file that onnxruntime runs: an nn.LSTM / nn.GRU / nn.RNN, an
 * nn.SequenceClassifier, an nn.LanguageModel or an nn.Sequential of exportable layers (see
 * io/onnx/export.ts). What ONNX cannot express is an ExportError; bad arguments ArgumentErrors.
 */
export async function exportOnnx(model: Module, path: PathLike, options?: ExportOnnxOptions): Promise<OnnxExportInfo> {
  const exporter = await import('./export.js');
  return exporter.exportOnnx(model, path, options);
}

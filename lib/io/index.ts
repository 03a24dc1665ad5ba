// The io namespace: safetensors checkpoints. save()/load() for a model, optimizer state and run
// metadata; saveTensors()/loadTensors() for plain name → tensor files; encode()/decode() for the
// bytes in memory.

export { encode, decode, MAX_HEADER_BYTES, type DecodeOptions, type Decoded } from './safetensors.js';
export {
  save,
  load,
  saveTensors,
  loadTensors,
  type PathLike,
  type SaveOptions,
  type LoadOptions,
  type Loaded,
  type LoadTensorsOptions,
  type StateSource,
  type StateTarget,
  type OptimizerState,
} from './files.js';
export {
  loadWordVectors,
  saveWordVectors,
  type WordVectors,
  type WordVectorsFormat,
  type LoadWordVectorsOptions,
  type SaveWordVectorsOptions,
} from './word-vectors.js';
export { exportOnnx, type ExportOnnxOptions, type OnnxExportInfo, type OnnxValueInfo } from './onnx/index.js';

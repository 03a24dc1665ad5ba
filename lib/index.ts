// rnnkit's public API: tensors, ops, autograd, memory. Namespaces nn, optim, data, train and io
// join as they arrive.

export { Tensor } from './tensor.js';
export type { DType, Device, ArrayFor } from './dtype.js';
export {
  RnnkitError,
  ShapeError,
  DTypeError,
  DeviceError,
  OutOfMemoryError,
  BackendError,
  CheckpointError,
  ExportError,
  ArgumentError,
  IndexError,
  DisposedError,
  DistributedError,
} from './errors.js';
export { tidy, keep } from './scope.js';
export { noGrad, isGradEnabled, backward, type BackwardOptions } from './autograd.js';
export { memory, sync, backends, type MemoryInfo } from './memory.js';
export { device, defaultDevice, setDefaultDevice } from './device.js';
export * as profile from './profile.js';
export { tensor, full, zeros, ones, type TensorOptions, type FillOptions, type TensorData, type NestedArray } from './ops/creation.js';
export { add, sub, mul, div, neg, tanh, sigmoid, relu, exp, log } from './ops/elementwise.js';
export { sum, mean, max, type ReduceOptions } from './ops/reduce.js';
export { dropout, type DropoutOptions } from './ops/dropout.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { matmul } from './ops/matmul.js';
export { concat } from './ops/concat.js';
export { gather } from './ops/gather.js';
export { reshape, transpose, permute, slice, narrow, contiguous } from './ops/views.js';
export { crossEntropy, bceWithLogits, mse, type CrossEntropyOptions, type BceWithLogitsOptions, type MseOptions } from './ops/loss.js';
export { seed, getRandomState, setRandomState } from './random.js';
export { setDeterministic, isDeterministic, type DeterministicOptions } from './determinism.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as train from './train/index.js';
export * as io from './io/index.js';
export * as data from './data/index.js';
export * as distributed from './distributed/index.js';
export { generate, generateTokens, type BatchGenerateOptions, type GenerateOptions, type GeneratedToken } from './text/generate.js';
export type { BackendInfo, DeviceMemory, Reduction } from './binding.js';
export type { GpuInfo, CudaVersions, RnnPrecision } from './binding.js';

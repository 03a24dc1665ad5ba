// The nn namespace: modules and layers.

export { Module, type Parameter, type LoadStateDictOptions } from './module.js';
export {
  RNN,
  LSTM,
  GRU,
  type RecurrentOptions,
  type RNNOptions,
  type LSTMOptions,
  type GRUOptions,
  type RecurrentState,
  type RecurrentForwardOptions,
  type RecurrentOutput,
  type StepOutput,
} from './rnn.js';
export { Linear, type LinearOptions } from './linear.js';
export { Sequential, type TensorModule, type LengthsModule, type SequentialLayer, type SequenceOptions } from './sequential.js';
export { Embedding, type EmbeddingOptions, type FromPretrainedOptions } from './embedding.js';
export { Dropout } from './dropout.js';
export { SequenceClassifier, type SequenceClassifierOptions, type Pooling } from './classifier.js';
export { LanguageModel, type LanguageModelOptions, type LanguageModelOutput } from './language-model.js';
export { LayerNorm, type LayerNormOptions } from './layer-norm.js';
export { Conv1d, type Conv1dOptions } from './conv1d.js';
export {
  MultiheadAttention,
  type MultiheadAttentionOptions,
  type MultiheadAttentionForwardOptions,
  type MultiheadAttentionOutput,
} from './attention.js';
export { AttentionPooling, type AttentionPoolingOptions, type AttentionPoolingOutput } from './attention-pooling.js';

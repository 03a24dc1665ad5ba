// The data namespace: tokenizers, text classification files, language-model windows, splitting,
// length bucketing and streaming readers, all producing what train.fit() consumes.

export {
  CharTokenizer,
  WordTokenizer,
  tokenizerFromJSON,
  PAD_ID,
  OOV_ID,
  PAD_TOKEN,
  OOV_TOKEN,
  type Tokenizer,
  type TokenizerJSON,
  type CharTokenizerJSON,
  type WordTokenizerJSON,
  type CharTokenizerOptions,
  type WordTokenizerOptions,
  type WordTokenizerFromVectorsOptions,
  type Standardize,
  type Split,
} from './tokenizers.js';
export { CsvParser, parseCsv, type CsvRecord } from './csv.js';
export { streamText, streamLines, type FileUrl, type PathLike, type StreamTextOptions } from './files.js';
export {
  readClassificationCsv,
  readClassificationJsonl,
  TextClassificationData,
  type TextExample,
  type EncodeOptions,
  type ClassificationCsvOptions,
  type ClassificationJsonlOptions,
  type EncodedClassificationData,
} from './classification.js';
export {
  readMultiLabelCsv,
  readMultiLabelJsonl,
  MultiLabelData,
  type MultiLabelTextExample,
  type MultiLabelCsvOptions,
  type MultiLabelJsonlOptions,
  type MultiLabelEncodeOptions,
  type EncodedMultiLabelData,
} from './multi-label.js';
export { padBatch } from '../train/dataset.js';
export {
  trainValidationSplit,
  bucketByLength,
  BucketedDataset,
  paddingFractionOf,
  type SplitOptions,
  type BucketByLengthOptions,
} from './batching.js';
export {
  textWindows,
  TextWindows,
  windowBatch,
  streamTokens,
  streamWindows,
  StreamingTextWindows,
  type TextWindow,
  type TextWindowsOptions,
  type StreamWindowsOptions,
  type StreamingTextWindowsOptions,
  type StreamStats,
} from './windows.js';
export { textStream, TextStream, readTextStream, type TextStreamOptions, type ReadTextStreamOptions } from './text-stream.js';
export { alignVectors, type AlignVectorsOptions, type AlignedVectors } from './vectors.js';

// The plan of `rnnkit train --task classify` and `--task multilabel`: a labelled CSV / JSONL file
// (one class id per text, or any number of label names per text), a word (or character) tokenizer
// built from the training texts, a SequenceClassifier (one output per class or label), batches
// bucketed by length, and validation on --val or on 10% of the data held out.

import { bucketByLength, trainValidationSplit } from '../../data/batching.js';
import type { TextExample } from '../../data/classification.js';
import { CharTokenizer, WordTokenizer, type Tokenizer } from '../../data/tokenizers.js';
import { SequenceClassifier, type Pooling, type SequenceClassifierOptions } from '../../nn/classifier.js';
import { ArgumentError } from '../../errors.js';
import { UsageError } from '../argv.js';
import type { ClassifierConfig, DataLayout, FileLayout, MultiLabelConfig } from '../checkpoint.js';
import { encodeLabelled, readLabelled, readMultiLabelled, type ReadLayout } from '../labelled-data.js';
import type { Settings, TrainFlags } from './flags.js';
import type { Plan } from './run.js';

const VALIDATION_FRACTION = 0.1;

function textColumns(flag: string | undefined): number[] | null {
  if (flag === undefined) return null;
  const cols = flag.split(',').map((s) => (/^\d+$/.test(s.trim()) ? Number(s) : NaN));
  if (cols.some((c) => !Number.isSafeInteger(c))) throw new UsageError(`--text-columns must be column numbers like 1,2, got '${flag}'`);
  return cols;
}

/** The file layout flags both classifier tasks take. */
function fileLayout(flags: TrainFlags, labelField: string): Omit<FileLayout, 'maxLength'> {
  return {
    labelColumn: flags['label-column'] ?? 0,
    textColumns: textColumns(flags['text-columns']),
    header: flags.header ?? false,
    textField: 'text',
    labelField,
  };
}

function buildTokenizer(flags: TrainFlags, texts: readonly string[]): Tokenizer {
  const maxTokens = flags['max-tokens'];
  return (flags.tokenizer ?? 'word') === 'word'
    ? WordTokenizer.fromCorpus(texts, { maxTokens: maxTokens ?? 20000 })
    : CharTokenizer.fromCorpus(texts, maxTokens === undefined ? {} : { maxTokens });
}

function modelOptions(flags: TrainFlags, settings: Settings, vocabSize: number, numClasses: number): SequenceClassifierOptions {
  return {
    vocabSize,
    numClasses,
    embeddingDim: settings.embedding,
    hiddenSize: settings.hidden,
    numLayers: settings.layers,
    bidirectional: flags.bidirectional ?? false,
    cell: (flags.model ?? 'lstm') as 'lstm' | 'gru',
    pooling: (flags.pooling ?? 'last') as Pooling,
    dropout: settings.dropout,
  };
}

/** Training and validation examples (--val, else 10% held out when there are enough) and a line saying which. */
function splitExamples<E>(file: string, train: E[], validation: E[] | undefined, flags: TrainFlags, settings: Settings): { train: E[]; validation: E[] | undefined; about: string } {
  if (validation !== undefined) {
    return { train, validation, about: `${file}: ${train.length} texts, validating on ${flags.val} (${validation.length} texts)` };
  }
  if (Math.round(train.length * VALIDATION_FRACTION) >= 1) {
    const split = trainValidationSplit(train, { validationFraction: VALIDATION_FRACTION, seed: settings.seed });
    return { ...split, about: `${file}: ${split.train.length} texts for training, ${split.validation.length} held out for validation` };
  }
  return { train, validation: undefined, about: `${file}: ${train.length} texts (too few to hold out 10% for validation; give --val)` };
}

async function multiLabelPlan(flags: TrainFlags, settings: Settings): Promise<Plan> {
  const file = flags.data!;
  const layout = { ...fileLayout(flags, 'labels'), labelSeparator: flags['label-separator'] ?? '|' };
  const data = await readMultiLabelled(file, layout);
  const validationData = flags.val === undefined ? undefined : await readMultiLabelled(flags.val, layout, data.labels);
  const tokenizer = buildTokenizer(flags, data.texts);
  const maxLength = flags['max-length'] ?? 0;
  const split = splitExamples(
    file,
    encodeLabelled(data, tokenizer, maxLength),
    validationData && encodeLabelled(validationData, tokenizer, maxLength),
    flags,
    settings,
  );
  const counts = Array.from(data.labelCounts(), (n, c) => `${data.labels[c]}: ${n}`).join(', ');
  const config: MultiLabelConfig = {
    task: 'multilabel',
    model: modelOptions(flags, settings, tokenizer.vocabSize, data.numLabels),
    tokenizer: tokenizer.toJSON(),
    data: { ...layout, labels: [...data.labels], maxLength },
  };
  const sep = layout.labelSeparator;
  return {
    config,
    model: new SequenceClassifier(config.model),
    train: bucketByLength(split.train, { batchSize: settings.batch, seed: settings.seed }),
    validation: split.validation && bucketByLength(split.validation, { batchSize: 128, shuffle: false }),
    about: [split.about, `${tokenizer.kind} tokenizer with ${tokenizer.vocabSize} entries; ${data.numLabels} labels (texts with each): ${counts}`],
    next: (out) => `label texts: rnnkit predict --checkpoint ${out} --input texts.txt   (one text per line; prints its labels joined by '${sep}')`,
  };
}

export async function classifyPlan(flags: TrainFlags, settings: Settings): Promise<Plan> {
  if (flags.task === 'multilabel') return multiLabelPlan(flags, settings);
  const file = flags.data!;
  const layout: ReadLayout = { ...fileLayout(flags, 'label'), labelOffset: flags['label-offset'] ?? 0 };
  const data = await readLabelled(file, layout, flags.classes);
  const numClasses = data.numClasses;
  if (numClasses < 2) throw new ArgumentError(`${file}: every label is ${layout.labelOffset}; a classifier needs at least 2 classes (or --classes N)`);
  const validationData = flags.val === undefined ? undefined : await readLabelled(flags.val, layout, numClasses);
  const tokenizer = buildTokenizer(flags, data.texts);
  const maxLength = flags['max-length'] ?? 0;
  const split = splitExamples<TextExample>(
    file,
    encodeLabelled(data, tokenizer, maxLength),
    validationData && encodeLabelled(validationData, tokenizer, maxLength),
    flags,
    settings,
  );
  const counts = Array.from(data.classCounts(), (n, c) => `${c + layout.labelOffset}: ${n}`).join(', ');
  const dataLayout: DataLayout = { ...layout, numClasses, maxLength };
  const config: ClassifierConfig = {
    task: 'classify',
    model: modelOptions(flags, settings, tokenizer.vocabSize, numClasses),
    tokenizer: tokenizer.toJSON(),
    data: dataLayout,
  };
  return {
    config,
    model: new SequenceClassifier(config.model),
    train: bucketByLength(split.train, { batchSize: settings.batch, seed: settings.seed }),
    validation: split.validation && bucketByLength(split.validation, { batchSize: 128, shuffle: false }),
    about: [split.about, `${tokenizer.kind} tokenizer with ${tokenizer.vocabSize} entries; labels (count): ${counts}`],
    next: (out) => `classify texts: rnnkit predict --checkpoint ${out} --input texts.txt   (one text per line)`,
  };
}

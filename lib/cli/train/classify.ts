// The plan of `rnnkit train --task classify`: a labelled CSV / JSONL file, a word (or character)
// tokenizer built from the training texts, a SequenceClassifier, batches bucketed by length, and
// validation on --val or on 10% of the data held out.

import { bucketByLength, trainValidationSplit } from '../../data/batching.js';
import { CharTokenizer, WordTokenizer } from '../../data/tokenizers.js';
import { SequenceClassifier, type Pooling } from '../../nn/classifier.js';
import type { TextExample } from '../../data/classification.js';
import { ArgumentError } from '../../errors.js';
import { UsageError } from '../argv.js';
import type { ClassifierConfig, DataLayout } from '../checkpoint.js';
import { encodeLabelled, readLabelled, type ReadLayout } from '../labelled-data.js';
import type { Settings, TrainFlags } from './flags.js';
import type { Plan } from './run.js';

const VALIDATION_FRACTION = 0.1;

function textColumns(flag: string | undefined): number[] | null {
  if (flag === undefined) return null;
  const cols = flag.split(',').map((s) => (/^\d+$/.test(s.trim()) ? Number(s) : NaN));
  if (cols.some((c) => !Number.isSafeInteger(c))) throw new UsageError(`--text-columns must be column numbers like 1,2, got '${flag}'`);
  return cols;
}

export async function classifyPlan(flags: TrainFlags, settings: Settings): Promise<Plan> {
  const file = flags.data!;
  const layout: ReadLayout = {
    labelColumn: flags['label-column'] ?? 0,
    textColumns: textColumns(flags['text-columns']),
    header: flags.header ?? false,
    textField: 'text',
    labelField: 'label',
    labelOffset: flags['label-offset'] ?? 0,
  };
  const data = await readLabelled(file, layout, flags.classes);
  const numClasses = data.numClasses;
  if (numClasses < 2) throw new ArgumentError(`${file}: every label is ${layout.labelOffset}; a classifier needs at least 2 classes (or --classes N)`);
  const validationData = flags.val === undefined ? undefined : await readLabelled(flags.val, layout, numClasses);

  const maxTokens = flags['max-tokens'];
  const tokenizer =
    (flags.tokenizer ?? 'word') === 'word'
      ? WordTokenizer.fromCorpus(data.texts, { maxTokens: maxTokens ?? 20000 })
      : CharTokenizer.fromCorpus(data.texts, maxTokens === undefined ? {} : { maxTokens });
  const maxLength = flags['max-length'] ?? 0;
  let train: TextExample[] = encodeLabelled(data, tokenizer, maxLength);
  let validation: TextExample[] | undefined;
  let about: string;
  if (validationData !== undefined) {
    validation = encodeLabelled(validationData, tokenizer, maxLength);
    about = `${file}: ${train.length} texts, validating on ${flags.val} (${validation.length} texts)`;
  } else if (Math.round(train.length * VALIDATION_FRACTION) >= 1) {
    ({ train, validation } = trainValidationSplit(train, { validationFraction: VALIDATION_FRACTION, seed: settings.seed }));
    about = `${file}: ${train.length} texts for training, ${validation.length} held out for validation`;
  } else {
    about = `${file}: ${train.length} texts (too few to hold out 10% for validation; give --val)`;
  }
  const counts = Array.from(data.classCounts(), (n, c) => `${c + layout.labelOffset}: ${n}`).join(', ');
  const dataLayout: DataLayout = { ...layout, numClasses, maxLength };
  const config: ClassifierConfig = {
    task: 'classify',
    model: {
      vocabSize: tokenizer.vocabSize,
      numClasses,
      embeddingDim: settings.embedding,
      hiddenSize: settings.hidden,
      numLayers: settings.layers,
      bidirectional: flags.bidirectional ?? false,
      cell: (flags.model ?? 'lstm') as 'lstm' | 'gru',
      pooling: (flags.pooling ?? 'last') as Pooling,
      dropout: settings.dropout,
    },
    tokenizer: tokenizer.toJSON(),
    data: dataLayout,
  };
  return {
    config,
    model: new SequenceClassifier(config.model),
    train: bucketByLength(train, { batchSize: settings.batch, seed: settings.seed }),
    validation: validation && bucketByLength(validation, { batchSize: 128, shuffle: false }),
    about: [about, `${tokenizer.kind} tokenizer with ${tokenizer.vocabSize} entries; labels (count): ${counts}`],
    next: (out) => `classify texts: rnnkit predict --checkpoint ${out} --input texts.txt   (one text per line)`,
  };
}

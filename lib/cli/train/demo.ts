// The plan of the built-in demo: the generated both-ends task (see default-task.ts), a stacked
// bidirectional LSTM classifier, batches bucketed by length.

import { bucketByLength } from '../../data/batching.js';
import { CharTokenizer, OOV_TOKEN, PAD_TOKEN } from '../../data/tokenizers.js';
import { SequenceClassifier } from '../../nn/classifier.js';
import type { ClassifierConfig } from '../checkpoint.js';
import { DEFAULT_CLASSES, DEFAULT_LETTERS, DEFAULT_TASK, defaultTaskTexts, type LabelledText } from '../default-task.js';
import type { Settings } from './flags.js';
import type { Plan } from './run.js';

/** The demo's tokenizer: one id per letter. */
export function demoTokenizer(): CharTokenizer {
  return CharTokenizer.fromVocabulary([PAD_TOKEN, OOV_TOKEN, ...DEFAULT_LETTERS]);
}

/** The demo's config with the given sizes. */
export function demoConfig(settings: Pick<Settings, 'layers' | 'hidden' | 'embedding' | 'dropout'>): ClassifierConfig {
  return {
    task: 'classify',
    model: {
      vocabSize: DEFAULT_LETTERS.length + 2,
      numClasses: DEFAULT_CLASSES,
      embeddingDim: settings.embedding,
      hiddenSize: settings.hidden,
      numLayers: settings.layers,
      bidirectional: true,
      cell: 'lstm',
      pooling: 'last',
      dropout: settings.dropout,
    },
    tokenizer: demoTokenizer().toJSON(),
    // `rnnkit eval` reads a CSV of label,text rows for it.
    data: { labelColumn: 0, textColumns: [1], header: false, textField: 'text', labelField: 'label', labelOffset: 0, numClasses: DEFAULT_CLASSES, maxLength: 0 },
  };
}

export function demoPlan(settings: Settings): Plan {
  const config = demoConfig(settings);
  const tokenizer = demoTokenizer();
  const encode = (rows: LabelledText[]) => rows.map((r) => ({ input: tokenizer.encode(r.text), target: r.label }));
  const { trainSize, validationSize, minLength, maxLength, seed } = DEFAULT_TASK;
  const train = encode(defaultTaskTexts(trainSize, seed));
  const validation = encode(defaultTaskTexts(validationSize, seed + 1));
  return {
    config,
    model: new SequenceClassifier(config.model),
    train: bucketByLength(train, { batchSize: settings.batch, seed: settings.seed }),
    validation: bucketByLength(validation, { batchSize: 250, shuffle: false }),
    about: [
      `the built-in demo: ${trainSize} generated letter sequences (lengths ${minLength}-${maxLength}), validating on ${validationSize} more;`,
      'the class is 2 x [first letter in a..h] + [last letter in a..h], so the model must remember both ends',
    ],
    next: (out) => {
      const [example] = defaultTaskTexts(1, seed + 2);
      return `try it: echo ${example!.text} | rnnkit predict --checkpoint ${out}   (its class is ${example!.label})`;
    },
  };
}

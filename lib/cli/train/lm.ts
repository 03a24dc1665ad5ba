// The plan of `rnnkit train --task lm`: a character (or word) tokenizer built from the text file,
// an LSTM (or GRU) language model, and validation on --val when given. Stateful by default: the
// file's ids laid out as --batch contiguous streams (data.textStream), the recurrent state carried
// from batch to batch (truncated BPTT over --time tokens). With --stateful false: windows of
// --time tokens streamed from the file each epoch and shuffled, each starting from a zero state
// (a corpus of any size trains in bounded memory).

import { streamText } from '../../data/files.js';
import { CharTokenizer, WordTokenizer, type Tokenizer } from '../../data/tokenizers.js';
import { readTextStream, type TextStream } from '../../data/text-stream.js';
import { streamTokens, StreamingTextWindows } from '../../data/windows.js';
import { ArgumentError } from '../../errors.js';
import { LanguageModel } from '../../nn/language-model.js';
import type { DataSource } from '../../train/dataset.js';
import type { LanguageModelConfig } from '../checkpoint.js';
import type { Settings, TrainFlags } from './flags.js';
import type { Plan } from './run.js';

const DEFAULT_TIME = 100;

/** Tokens in a file, counted in one streamed pass. */
async function countTokens(file: string, tokenizer: Tokenizer): Promise<number> {
  let n = 0;
  for await (const ids of streamTokens(tokenizer, streamText(file))) n += ids.length;
  return n;
}

/** Streamed windows of a file, with the batch count for the progress bar; the file must hold one window. */
export async function windowSource(file: string, tokenizer: Tokenizer, time: number, batchSize: number, seed: number, shuffle: boolean): Promise<DataSource & { windows: number }> {
  const tokens = await countTokens(file, tokenizer);
  if (tokens === 0) throw new ArgumentError(`${file}: the file has no ${tokenizer.kind === 'char' ? 'characters' : 'words'}`);
  if (tokens < time + 1) throw new ArgumentError(`${file}: ${tokens} tokens are too few for one window of --time ${time} (needs ${time + 1}); use a smaller --time`);
  const stream = new StreamingTextWindows(file, { tokenizer, time, batchSize, seed, shuffleBuffer: shuffle ? 1024 : 0 });
  const windows = Math.floor((tokens - time - 1) / time) + 1;
  return { windows, numBatches: Math.ceil(windows / batchSize), batches: (epoch) => stream.batches(epoch) };
}

/** The file as --batch contiguous streams read --time tokens at a time (a stateful run's data). */
export async function streamSource(file: string, tokenizer: Tokenizer, time: number, batchSize: number): Promise<TextStream> {
  const tokens = await countTokens(file, tokenizer);
  if (tokens === 0) throw new ArgumentError(`${file}: the file has no ${tokenizer.kind === 'char' ? 'characters' : 'words'}`);
  if (tokens < 2 * batchSize) {
    throw new ArgumentError(`${file}: ${tokens} tokens are too few for --batch ${batchSize} streams of at least 2 tokens (needs ${2 * batchSize}); use a smaller --batch`);
  }
  return readTextStream(file, { tokenizer, batchSize, time });
}

/** The first three words of a file: a prompt the model has seen, for the suggested command. */
async function openingWords(file: string): Promise<string> {
  for await (const chunk of streamText(file)) {
    const words = chunk.trim().split(/\s+/).slice(0, 3);
    return words.join(' ').replace(/["\\`$]/g, '');
  }
  return '';
}

export async function lmPlan(flags: TrainFlags, settings: Settings): Promise<Plan> {
  const file = flags.data!;
  const time = flags.time ?? DEFAULT_TIME;
  const maxTokens = flags['max-tokens'];
  const cap = maxTokens === undefined ? {} : { maxTokens };
  const tokenizer =
    (flags.tokenizer ?? 'char') === 'char'
      ? await CharTokenizer.fromCorpusAsync(streamText(file), cap)
      : await WordTokenizer.fromCorpusAsync(streamText(file), cap);
  const stateful = flags.stateful ?? true;
  const config: LanguageModelConfig = {
    task: 'lm',
    model: {
      vocabSize: tokenizer.vocabSize,
      embeddingDim: settings.embedding,
      hiddenSize: settings.hidden,
      numLayers: settings.layers,
      cell: (flags.model ?? 'lstm') as 'lstm' | 'gru',
      dropout: settings.dropout,
      embeddingDropout: flags['embedding-dropout'] ?? 0,
      outputDropout: flags['output-dropout'] ?? 0,
    },
    tokenizer: tokenizer.toJSON(),
    data: { time, stateful },
  };
  const prompt = await openingWords(file);
  let train: DataSource;
  let validation: DataSource | undefined;
  let about: string[];
  if (stateful) {
    const streams = await streamSource(file, tokenizer, time, settings.batch);
    const valStreams = flags.val === undefined ? undefined : await streamSource(flags.val, tokenizer, time, settings.batch);
    train = streams;
    validation = valStreams;
    const layout = (s: TextStream) => `${s.batchSize} streams of ${s.streamLength} tokens, ${s.numBatches} batches of ${s.time}`;
    about = [`${file}: ${layout(streams)}, the state carried from batch to batch${valStreams ? `; validating on ${flags.val} (${layout(valStreams)})` : ''}`];
  } else {
    const windows = await windowSource(file, tokenizer, time, settings.batch, settings.seed, true);
    const valWindows = flags.val === undefined ? undefined : await windowSource(flags.val, tokenizer, time, settings.batch, 0, false);
    train = windows;
    validation = valWindows;
    about = [`${file}: ${windows.windows} windows of ${time} tokens, streamed from the file each epoch${valWindows ? `; validating on ${flags.val} (${valWindows.windows} windows)` : ''}`];
  }
  about.push(`${tokenizer.kind} tokenizer with ${tokenizer.vocabSize} entries`);
  return {
    config,
    model: new LanguageModel(config.model),
    train,
    validation,
    about,
    next: (out) => `generate: rnnkit generate --checkpoint ${out} --prompt ${JSON.stringify(prompt)}`,
  };
}

// Multi-label text classification data: each text has a set of label names (none, one or several),
// written in one field separated by a character ('news|sport'), or in JSON Lines as such a string
// or an array of names. The label list is given (to read validation and test files in the
// training's numbering) or collected from the file, sorted. Examples carry multi-hot float32
// targets, for bceWithLogits.

import { checkBoolean, checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import type { Example } from '../train/dataset.js';
import { checkCsvLayout, checkField, checkTokenizer, readCsvRows, readJsonlRows, type RowSink } from './classification.js';
import { checkPath, type PathLike } from './files.js';
import type { Tokenizer } from './tokenizers.js';

/** A text example with int32 token ids and a multi-hot target (1 for each of its labels). */
export interface MultiLabelTextExample extends Example<'float32'> {
  input: Int32Array;
  target: Float32Array;
}

interface MultiLabelOptions {
  /** The character between a row's label names (default '|'). */
  labelSeparator?: string;
  /** The label names, in class order; a name in the file outside the list is an error. Default: the file's names, sorted. */
  labels?: readonly string[];
  /** Encode the texts with it; the result then carries `examples`. */
  tokenizer?: Tokenizer;
}

export interface MultiLabelCsvOptions extends MultiLabelOptions {
  /** Columns joined (with a space) into the text: 0-based indices, or names when header is true. */
  textColumns: readonly (number | string)[];
  /** The labels' column: a 0-based index, or a name when header is true. */
  labelColumn: number | string;
  /** The first row names the columns (default false). */
  header?: boolean;
  /** Field separator, one character (default ','). */
  separator?: string;
}

export interface MultiLabelJsonlOptions extends MultiLabelOptions {
  /** The text's key (default 'text'). */
  textField?: string;
  /** The labels' key (default 'labels'): an array of names, or one string of names joined by labelSeparator. */
  labelField?: string;
}

export interface MultiLabelEncodeOptions {
  /** Leave out texts that encode to no tokens (default false: such a text is an error naming file:line). */
  skipEmpty?: boolean;
}

/** Texts and their label sets read from a file, each with the line it came from. */
export class MultiLabelData {
  /** The file as given, for messages. */
  readonly file: string;
  readonly texts: readonly string[];
  /** The label names; label i is class i (the position in a multi-hot target). */
  readonly labels: readonly string[];
  /** Each text's classes, ascending, without repeats. */
  readonly labelSets: readonly Int32Array[];
  /** The 1-based line each row starts on. */
  readonly lines: Int32Array;

  constructor(file: string, texts: readonly string[], labels: readonly string[], labelSets: readonly Int32Array[], lines: Int32Array) {
    this.file = file;
    this.texts = texts;
    this.labels = labels;
    this.labelSets = labelSets;
    this.lines = lines;
  }

  get size(): number {
    return this.texts.length;
  }

  get numLabels(): number {
    return this.labels.length;
  }

  /** How many texts have each label. */
  labelCounts(): Int32Array {
    const counts = new Int32Array(this.labels.length);
    for (const set of this.labelSets) for (const c of set) counts[c]!++;
    return counts;
  }

  /** Examples for train.SequenceDataset / bucketByLength: { input: token ids, target: multi-hot labels }. */
  encode(tokenizer: Tokenizer, options?: MultiLabelEncodeOptions): MultiLabelTextExample[] {
    const op = 'MultiLabelData.encode';
    if (tokenizer == null || typeof tokenizer.encode !== 'function') {
      throw new ArgumentError(`${op}: tokenizer must be a data.CharTokenizer or data.WordTokenizer, got ${describe(tokenizer)}`);
    }
    const opts = checkOptions(op, options, ['skipEmpty'] as const);
    const skipEmpty = checkBoolean(op, 'options.skipEmpty', opts.skipEmpty ?? false);
    const out: MultiLabelTextExample[] = [];
    this.texts.forEach((text, i) => {
      const input = tokenizer.encode(text);
      if (input.length === 0) {
        if (skipEmpty) return;
        throw new ArgumentError(`${op}: ${this.file}:${this.lines[i]}: the text has no tokens (use { skipEmpty: true } to leave such rows out)`);
      }
      const target = new Float32Array(this.labels.length);
      for (const c of this.labelSets[i]!) target[c] = 1;
      out.push({ input, target });
    });
    return out;
  }
}

/** readMultiLabel*() with a tokenizer: the data and its encoded examples. */
export type EncodedMultiLabelData = MultiLabelData & { examples: MultiLabelTextExample[] };

/** Collects each row's label names (checked against a given list) and builds the data at the end. */
class LabelSetReader {
  readonly #where: string;
  readonly #separator: string;
  readonly #given: readonly string[] | undefined;
  readonly #names: string[][] = [];
  readonly texts: string[] = [];
  readonly lines: number[] = [];

  constructor(where: string, separator: string, given: readonly string[] | undefined) {
    this.#where = where;
    this.#separator = separator;
    this.#given = given;
  }

  /** A RowSink: raw is the label field as read (a CSV string, or any JSON value). */
  readonly add: RowSink = (text, raw, line) => {
    let names: string[];
    if (typeof raw === 'string') names = raw.split(this.#separator);
    else if (Array.isArray(raw) && raw.every((n) => typeof n === 'string')) names = raw as string[];
    else {
      throw new ArgumentError(`${this.#where}:${line}: labels must be a string like "a${this.#separator}b" or an array of label names, got ${describe(raw)}`);
    }
    names = names.map((n) => n.trim()).filter((n) => n !== '');
    if (this.#given !== undefined) {
      const unknown = names.find((n) => !this.#given!.includes(n));
      if (unknown !== undefined) {
        throw new ArgumentError(`${this.#where}:${line}: label '${unknown}' is not one of the ${this.#given.length} labels (${this.#given.join(', ')})`);
      }
    }
    this.#names.push(names);
    this.texts.push(text);
    this.lines.push(line);
  };

  finish(op: string, file: string, tokenizer: Tokenizer | undefined, empty = 'no rows (the file is empty)'): MultiLabelData | EncodedMultiLabelData {
    if (this.texts.length === 0) throw new ArgumentError(`${op}: ${file}: ${empty}`);
    const labels = this.#given ?? [...new Set(this.#names.flat())].sort();
    if (labels.length === 0) throw new ArgumentError(`${op}: ${file}: no row has a label (a multi-label file needs at least one)`);
    const index = new Map(labels.map((name, c) => [name, c]));
    const sets = this.#names.map((names) => Int32Array.from(new Set(names.map((n) => index.get(n)!))).sort());
    const data = new MultiLabelData(file, this.texts, labels, sets, Int32Array.from(this.lines));
    if (tokenizer === undefined) return data;
    return Object.assign(data, { examples: data.encode(tokenizer) });
  }
}

/** The options every multi-label reader takes: labelSeparator, labels, tokenizer. */
function checkLabelSetOptions(op: string, opts: Partial<Record<'labelSeparator' | 'labels' | 'tokenizer', unknown>>) {
  const separator = opts.labelSeparator ?? '|';
  if (typeof separator !== 'string' || separator.length !== 1 || separator === '\n' || separator === '\r') {
    throw new ArgumentError(`${op}: options.labelSeparator must be one character other than a line break, got ${describe(separator)}`);
  }
  let labels: readonly string[] | undefined;
  if (opts.labels !== undefined) {
    const list = opts.labels;
    if (!Array.isArray(list) || list.length === 0) throw new ArgumentError(`${op}: options.labels must be a non-empty array of label names, got ${describe(list)}`);
    list.forEach((name: unknown, i) => {
      if (typeof name !== 'string' || name.trim() === '' || name.trim() !== name || name.includes(separator)) {
        throw new ArgumentError(`${op}: options.labels[${i}] must be a non-empty name without surrounding spaces or '${separator}', got ${describe(name)}`);
      }
      if (list.indexOf(name) !== i) throw new ArgumentError(`${op}: options.labels repeats '${name}'`);
    });
    labels = list as string[];
  }
  return { separator, labels, tokenizer: checkTokenizer(op, opts.tokenizer) };
}

/** Reads a CSV of texts and label sets: `"news|sport","the text"` with labelColumn 0, textColumns [1]. */
export function readMultiLabelCsv(path: PathLike, options: MultiLabelCsvOptions & { tokenizer: Tokenizer }): Promise<EncodedMultiLabelData>;
export function readMultiLabelCsv(path: PathLike, options: MultiLabelCsvOptions): Promise<MultiLabelData>;
export async function readMultiLabelCsv(path: PathLike, options: MultiLabelCsvOptions): Promise<MultiLabelData | EncodedMultiLabelData> {
  const op = 'readMultiLabelCsv';
  const file = checkPath(op, path);
  if (options === undefined) throw new ArgumentError(`${op}: options { textColumns, labelColumn } are required`);
  const opts = checkOptions(op, options, ['textColumns', 'labelColumn', 'header', 'separator', 'labelSeparator', 'labels', 'tokenizer'] as const);
  const layout = checkCsvLayout(op, opts);
  const { separator, labels, tokenizer } = checkLabelSetOptions(op, opts);
  const reader = new LabelSetReader(`${op}: ${file}`, separator, labels);
  const empty = await readCsvRows(op, file, layout, reader.add);
  return reader.finish(op, file, tokenizer, empty);
}

/** Reads JSON Lines of `{"text": "...", "labels": ["news", "sport"]}` or `"labels": "news|sport"`. */
export function readMultiLabelJsonl(path: PathLike, options: MultiLabelJsonlOptions & { tokenizer: Tokenizer }): Promise<EncodedMultiLabelData>;
export function readMultiLabelJsonl(path: PathLike, options?: MultiLabelJsonlOptions): Promise<MultiLabelData>;
export async function readMultiLabelJsonl(path: PathLike, options?: MultiLabelJsonlOptions): Promise<MultiLabelData | EncodedMultiLabelData> {
  const op = 'readMultiLabelJsonl';
  const file = checkPath(op, path);
  const opts = checkOptions(op, options, ['textField', 'labelField', 'labelSeparator', 'labels', 'tokenizer'] as const);
  const textField = checkField(op, 'options.textField', opts.textField ?? 'text');
  const labelField = checkField(op, 'options.labelField', opts.labelField ?? 'labels');
  const { separator, labels, tokenizer } = checkLabelSetOptions(op, opts);
  const reader = new LabelSetReader(`${op}: ${file}`, separator, labels);
  await readJsonlRows(op, file, textField, labelField, reader.add);
  return reader.finish(op, file, tokenizer);
}

// Text classification data from CSV (RFC 4180; the AG News layout) and JSONL files, and the row
// readers that multi-label.ts shares. Files are read as a stream (64 KiB at a time); what is kept is
// the texts and labels. Every problem in a file is one error naming file:line: a malformed row or an
// unterminated quote (ArgumentError), a label that is not an integer (ArgumentError) or lies outside
// 0..numClasses-1 after labelOffset (IndexError).

import { checkBoolean, checkInteger, checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError, IndexError } from '../errors.js';
import type { Example } from '../train/dataset.js';
import { CsvParser, type CsvRecord } from './csv.js';
import { checkFile, checkPath, numberedLines, textChunks, type PathLike } from './files.js';
import type { Tokenizer } from './tokenizers.js';

/** A text example with an int32 encoding, as readClassification*() and encode() make them. */
export interface TextExample extends Example {
  input: Int32Array;
  target: number;
}

export interface EncodeOptions {
  /** Leave out texts that encode to no tokens (default false: such a text is an error naming file:line). */
  skipEmpty?: boolean;
}

/** Texts and integer labels read from a file, each with the line it came from. */
export class TextClassificationData {
  /** The file as given, for messages. */
  readonly file: string;
  readonly texts: readonly string[];
  /** Labels after labelOffset, 0..numClasses-1. */
  readonly labels: Int32Array;
  /** The 1-based line each row starts on. */
  readonly lines: Int32Array;
  /** options.numClasses, else the largest label + 1. */
  readonly numClasses: number;

  constructor(file: string, texts: readonly string[], labels: Int32Array, lines: Int32Array, numClasses: number) {
    this.file = file;
    this.texts = texts;
    this.labels = labels;
    this.lines = lines;
    this.numClasses = numClasses;
  }

  get size(): number {
    return this.texts.length;
  }

  /** How many rows have each label. */
  classCounts(): Int32Array {
    const counts = new Int32Array(this.numClasses);
    for (const label of this.labels) counts[label]!++;
    return counts;
  }

  /** Examples for train.SequenceDataset / bucketByLength: { input: token ids, target: label }. */
  encode(tokenizer: Tokenizer, options?: EncodeOptions): TextExample[] {
    const op = 'TextClassificationData.encode';
    if (tokenizer == null || typeof tokenizer.encode !== 'function') {
      throw new ArgumentError(`${op}: tokenizer must be a data.CharTokenizer or data.WordTokenizer, got ${describe(tokenizer)}`);
    }
    const opts = checkOptions(op, options, ['skipEmpty'] as const);
    const skipEmpty = checkBoolean(op, 'options.skipEmpty', opts.skipEmpty ?? false);
    const out: TextExample[] = [];
    this.texts.forEach((text, i) => {
      const input = tokenizer.encode(text);
      if (input.length === 0) {
        if (skipEmpty) return;
        throw new ArgumentError(`${op}: ${this.file}:${this.lines[i]}: the text has no tokens (use { skipEmpty: true } to leave such rows out)`);
      }
      out.push({ input, target: this.labels[i]! });
    });
    return out;
  }
}

interface LabelOptions {
  labelOffset?: number;
  numClasses?: number;
}

export interface ClassificationCsvOptions extends LabelOptions {
  /** Columns joined (with a space) into the text: 0-based indices, or names when header is true. */
  textColumns: readonly (number | string)[];
  /** The label's column: a 0-based index, or a name when header is true. */
  labelColumn: number | string;
  /** The first row names the columns (default false). */
  header?: boolean;
  /** Subtracted from every label (1 for AG News' 1..4 → 0..3). Default 0. */
  labelOffset?: number;
  /** Labels after the offset must be < numClasses. Default: any label >= 0; numClasses = max + 1. */
  numClasses?: number;
  /** Field separator, one character (default ','). */
  separator?: string;
  /** Encode the texts with it; the result then carries `examples`. */
  tokenizer?: Tokenizer;
}

export interface ClassificationJsonlOptions extends LabelOptions {
  /** The text's key (default 'text'). */
  textField?: string;
  /** The label's key (default 'label'); the value must be an integer. */
  labelField?: string;
  labelOffset?: number;
  numClasses?: number;
  tokenizer?: Tokenizer;
}

/** readClassification*() with a tokenizer: the data and its encoded examples. */
export type EncodedClassificationData = TextClassificationData & { examples: TextExample[] };

function checkLabelOptions(op: string, opts: Partial<Record<'labelOffset' | 'numClasses', unknown>>): { offset: number; numClasses: number | undefined } {
  const offset = checkInteger(op, 'options.labelOffset', opts.labelOffset ?? 0);
  const numClasses = opts.numClasses === undefined ? undefined : checkInteger(op, 'options.numClasses', opts.numClasses);
  if (numClasses !== undefined && numClasses < 1) throw new ArgumentError(`${op}: options.numClasses must be >= 1, got ${numClasses}`);
  return { offset, numClasses };
}

export function checkTokenizer(op: string, value: unknown): Tokenizer | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof (value as Tokenizer).encode !== 'function') {
    throw new ArgumentError(`${op}: options.tokenizer must be a data.CharTokenizer or data.WordTokenizer, got ${describe(value)}`);
  }
  return value as Tokenizer;
}

/** Collects labels with their checks; every message names file:line. */
class LabelReader {
  readonly labels: number[] = [];
  #max = -1;
  constructor(
    readonly where: string,
    readonly offset: number,
    readonly numClasses: number | undefined,
  ) {}

  /** raw: the label as read (a string from CSV, any JSON value from JSONL). */
  add(raw: unknown, line: number): void {
    let value: number;
    if (typeof raw === 'string' && /^\s*[+-]?\d+\s*$/.test(raw)) value = Number(raw);
    else if (typeof raw === 'number' && Number.isInteger(raw)) value = raw;
    else throw new ArgumentError(`${this.where}:${line}: label ${describe(raw)} is not an integer`);
    if (!Number.isSafeInteger(value)) throw new ArgumentError(`${this.where}:${line}: label ${describe(raw)} is not an integer`);
    const label = value - this.offset;
    if (label < 0 || (this.numClasses !== undefined && label >= this.numClasses)) {
      const range = this.numClasses === undefined ? `>= ${this.offset}` : `${this.offset}..${this.offset + this.numClasses - 1}`;
      const why = this.offset !== 0 || this.numClasses !== undefined ? ` (labelOffset ${this.offset}${this.numClasses === undefined ? '' : `, numClasses ${this.numClasses}`})` : '';
      throw new IndexError(`${this.where}:${line}: label ${value} is out of range: labels must be ${range}${why}`);
    }
    this.labels.push(label);
    if (label > this.#max) this.#max = label;
  }

  get count(): number {
    return this.numClasses ?? this.#max + 1;
  }
}

function finish(
  op: string,
  file: string,
  texts: string[],
  labels: LabelReader,
  lines: number[],
  tokenizer: Tokenizer | undefined,
  empty = 'no rows (the file is empty)',
): TextClassificationData | EncodedClassificationData {
  if (texts.length === 0) throw new ArgumentError(`${op}: ${file}: ${empty}`);
  const data = new TextClassificationData(file, texts, Int32Array.from(labels.labels), Int32Array.from(lines), labels.count);
  if (tokenizer === undefined) return data;
  return Object.assign(data, { examples: data.encode(tokenizer) });
}

/** A column given as an index or (with a header) a name → its index, checked against the row width. */
function columnIndex(op: string, arg: string, value: unknown, names: readonly string[] | undefined, width: number, where: string): number {
  let index: number;
  if (typeof value === 'string') {
    if (names === undefined) throw new ArgumentError(`${op}: ${arg} '${value}' is a column name, but options.header is false (give a 0-based index)`);
    index = names.indexOf(value);
    if (index < 0) throw new ArgumentError(`${op}: ${arg} '${value}' is not a column of ${where} (columns: ${names.join(', ')})`);
  } else {
    index = checkInteger(op, arg, value);
    if (index < 0 || index >= width) throw new ArgumentError(`${op}: ${arg} ${index} is out of range: ${where} has ${width} columns (0..${width - 1})`);
  }
  return index;
}

/** How a CSV's rows become texts and raw labels (shared by the single- and multi-label readers). */
export interface CsvLayout {
  textColumns: readonly (number | string)[];
  labelColumn: number | string;
  header: boolean;
  separator: string;
}

/** Checks the CSV layout options of reader `op`. */
export function checkCsvLayout(op: string, opts: Partial<Record<'textColumns' | 'labelColumn' | 'header' | 'separator', unknown>>): CsvLayout {
  if (!Array.isArray(opts.textColumns) || opts.textColumns.length === 0) {
    throw new ArgumentError(`${op}: options.textColumns must be a non-empty array of columns, got ${describe(opts.textColumns)}`);
  }
  if (opts.labelColumn === undefined) throw new ArgumentError(`${op}: options.labelColumn is required`);
  const header = checkBoolean(op, 'options.header', opts.header ?? false);
  const separator = opts.separator ?? ',';
  if (typeof separator !== 'string' || separator.length !== 1 || separator === '"' || separator === '\n' || separator === '\r') {
    throw new ArgumentError(`${op}: options.separator must be one character other than a quote or a line break, got ${describe(separator)}`);
  }
  return { textColumns: opts.textColumns as (number | string)[], labelColumn: opts.labelColumn as number | string, header, separator };
}

/** Each row's text, raw label field and line, in file order. */
export type RowSink = (text: string, label: unknown, line: number) => void;

/**
 * Streams a CSV through `take`. Every row must have as many fields as the first. Returns the
 * message for a file without rows.
 */
export async function readCsvRows(op: string, file: string, layout: CsvLayout, take: RowSink): Promise<string | undefined> {
  await checkFile(op, file);
  const where = `${op}: ${file}`;
  const parser = new CsvParser(where, layout.separator);
  let width = -1;
  let firstLine = 0;
  let textIdx: number[] = [];
  let labelIdx = -1;
  const row = (record: CsvRecord): void => {
    const { fields, line } = record;
    if (width < 0) {
      width = fields.length;
      firstLine = line;
      const names = layout.header ? fields : undefined;
      const what = layout.header ? 'the header' : `the first row (line ${line})`;
      labelIdx = columnIndex(op, 'options.labelColumn', layout.labelColumn, names, width, what);
      textIdx = layout.textColumns.map((c, i) => columnIndex(op, `options.textColumns[${i}]`, c, names, width, what));
      if (layout.header) return;
    } else if (fields.length !== width) {
      throw new ArgumentError(`${where}:${line}: the row has ${fields.length} field${fields.length === 1 ? '' : 's'}, expected ${width} (as on line ${firstLine})`);
    }
    take(textIdx.length === 1 ? fields[textIdx[0]!]! : textIdx.map((k) => fields[k]!).join(' '), fields[labelIdx], line);
  };
  for await (const chunk of textChunks(op, file)) for (const record of parser.push(chunk)) row(record);
  for (const record of parser.end()) row(record);
  return width >= 0 ? 'no rows after the header' : undefined;
}

/** A non-empty string option (a JSONL field name). */
export function checkField(op: string, arg: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new ArgumentError(`${op}: ${arg} must be a non-empty string, got ${describe(value)}`);
  return value;
}

/** Streams JSON Lines objects through `take` (blank lines skipped); each needs both fields, the text a string. */
export async function readJsonlRows(op: string, file: string, textField: string, labelField: string, take: RowSink): Promise<void> {
  await checkFile(op, file);
  const where = `${op}: ${file}`;
  for await (const { text: raw, line } of numberedLines(op, file)) {
    if (raw.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch (err) {
      throw new ArgumentError(`${where}:${line}: invalid JSON (${(err as Error).message})`);
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new ArgumentError(`${where}:${line}: expected an object like {"${textField}": "...", "${labelField}": 0}, got ${describe(record)}`);
    }
    const rec = record as Record<string, unknown>;
    if (!(labelField in rec)) throw new ArgumentError(`${where}:${line}: the "${labelField}" field is missing`);
    if (!(textField in rec)) throw new ArgumentError(`${where}:${line}: the "${textField}" field is missing`);
    const text = rec[textField];
    if (typeof text !== 'string') throw new ArgumentError(`${where}:${line}: "${textField}" must be a string, got ${describe(text)}`);
    take(text, rec[labelField], line);
  }
}

/**
 * Reads a CSV of texts and integer labels. For AG News (no header; `"class index","title",
 * "description"`, class 1..4): `{ labelColumn: 0, textColumns: [1, 2], labelOffset: 1, numClasses: 4 }`.
 * Every row must have as many fields as the first.
 */
export function readClassificationCsv(path: PathLike, options: ClassificationCsvOptions & { tokenizer: Tokenizer }): Promise<EncodedClassificationData>;
export function readClassificationCsv(path: PathLike, options: ClassificationCsvOptions): Promise<TextClassificationData>;
export async function readClassificationCsv(path: PathLike, options: ClassificationCsvOptions): Promise<TextClassificationData | EncodedClassificationData> {
  const op = 'readClassificationCsv';
  const file = checkPath(op, path);
  if (options === undefined) throw new ArgumentError(`${op}: options { textColumns, labelColumn } are required`);
  const opts = checkOptions(op, options, ['textColumns', 'labelColumn', 'header', 'labelOffset', 'numClasses', 'separator', 'tokenizer'] as const);
  const layout = checkCsvLayout(op, opts);
  const { offset, numClasses } = checkLabelOptions(op, opts);
  const tokenizer = checkTokenizer(op, opts.tokenizer);

  const labels = new LabelReader(`${op}: ${file}`, offset, numClasses);
  const texts: string[] = [];
  const lines: number[] = [];
  const empty = await readCsvRows(op, file, layout, (text, label, line) => {
    labels.add(label, line);
    texts.push(text);
    lines.push(line);
  });
  return finish(op, file, texts, labels, lines, tokenizer, empty);
}

/** Reads JSON Lines of `{"text": "...", "label": 3}` (keys configurable); blank lines are skipped. */
export function readClassificationJsonl(path: PathLike, options: ClassificationJsonlOptions & { tokenizer: Tokenizer }): Promise<EncodedClassificationData>;
export function readClassificationJsonl(path: PathLike, options?: ClassificationJsonlOptions): Promise<TextClassificationData>;
export async function readClassificationJsonl(path: PathLike, options?: ClassificationJsonlOptions): Promise<TextClassificationData | EncodedClassificationData> {
  const op = 'readClassificationJsonl';
  const file = checkPath(op, path);
  const opts = checkOptions(op, options, ['textField', 'labelField', 'labelOffset', 'numClasses', 'tokenizer'] as const);
  const textField = checkField(op, 'options.textField', opts.textField ?? 'text');
  const labelField = checkField(op, 'options.labelField', opts.labelField ?? 'label');
  const { offset, numClasses } = checkLabelOptions(op, opts);
  const tokenizer = checkTokenizer(op, opts.tokenizer);

  const where = `${op}: ${file}`;
  const labels = new LabelReader(where, offset, numClasses);
  const texts: string[] = [];
  const lines: number[] = [];
  await readJsonlRows(op, file, textField, labelField, (text, label, line) => {
    // JSON labels must be numbers: "3" is a string, not a class id.
    if (typeof label !== 'number') throw new ArgumentError(`${where}:${line}: label ${describe(label)} is not an integer`);
    labels.add(label, line);
    texts.push(text);
    lines.push(line);
  });
  return finish(op, file, texts, labels, lines, tokenizer);
}

// Labelled text files for the classifier commands (train, eval): JSON Lines by the .jsonl
// extension, CSV otherwise (the AG News layout by default: label column 0, the other columns
// joined into the text), read with a DataLayout (class ids) or a MultiLabelLayout (label names
// separated by a character), encoded with the run's tokenizer and cut to maxLength tokens.

import { readClassificationCsv, readClassificationJsonl, type TextClassificationData, type TextExample } from '../data/classification.js';
import { CsvParser } from '../data/csv.js';
import { checkFile, textChunks } from '../data/files.js';
import { readMultiLabelCsv, readMultiLabelJsonl, type MultiLabelData, type MultiLabelTextExample } from '../data/multi-label.js';
import type { Tokenizer } from '../data/tokenizers.js';
import type { DataLayout, FileLayout, MultiLabelLayout } from './checkpoint.js';

export type ReadLayout = Omit<DataLayout, 'numClasses' | 'maxLength'>;
export type MultiLabelReadLayout = Omit<MultiLabelLayout, 'labels' | 'maxLength'>;

const isJsonl = (file: string): boolean => file.toLowerCase().endsWith('.jsonl');

/** Fields of the first CSV record (0 for a file without one). */
async function csvWidth(op: string, file: string): Promise<number> {
  const parser = new CsvParser(`${op}: ${file}`);
  for await (const chunk of textChunks(op, file)) {
    const first = parser.push(chunk)[0];
    if (first) return first.fields.length;
  }
  return parser.end()[0]?.fields.length ?? 0;
}

/** The layout's text columns: as given, or every column but the label's. */
async function textColumnsOf(op: string, file: string, layout: Pick<FileLayout, 'labelColumn' | 'textColumns'>): Promise<number[]> {
  await checkFile(op, file);
  if (layout.textColumns !== null) return layout.textColumns;
  const width = await csvWidth(op, file);
  const columns = Array.from({ length: width }, (_, i) => i).filter((i) => i !== layout.labelColumn);
  // A file with one column (or none) gets its error from the reader.
  return columns.length === 0 ? [layout.labelColumn + 1] : columns;
}

/** Reads a labelled file; labels must lie in labelOffset..labelOffset+numClasses-1 when numClasses is given. */
export async function readLabelled(file: string, layout: ReadLayout, numClasses?: number): Promise<TextClassificationData> {
  const labels = { labelOffset: layout.labelOffset, ...(numClasses === undefined ? {} : { numClasses }) };
  if (isJsonl(file)) return readClassificationJsonl(file, { textField: layout.textField, labelField: layout.labelField, ...labels });
  const textColumns = await textColumnsOf('readClassificationCsv', file, layout);
  return readClassificationCsv(file, { labelColumn: layout.labelColumn, textColumns, header: layout.header, ...labels });
}

/** Reads a multi-label file; with `labels` (the training's list) a name outside it is an error. */
export async function readMultiLabelled(file: string, layout: MultiLabelReadLayout, labels?: readonly string[]): Promise<MultiLabelData> {
  const shared = { labelSeparator: layout.labelSeparator, ...(labels === undefined ? {} : { labels }) };
  if (isJsonl(file)) return readMultiLabelJsonl(file, { textField: layout.textField, labelField: layout.labelField, ...shared });
  const textColumns = await textColumnsOf('readMultiLabelCsv', file, layout);
  return readMultiLabelCsv(file, { labelColumn: layout.labelColumn, textColumns, header: layout.header, ...shared });
}

/** Token-id examples of the texts, each cut to maxLength tokens (0: no limit). */
export function encodeLabelled(data: TextClassificationData, tokenizer: Tokenizer, maxLength: number): TextExample[];
export function encodeLabelled(data: MultiLabelData, tokenizer: Tokenizer, maxLength: number): MultiLabelTextExample[];
export function encodeLabelled(data: TextClassificationData | MultiLabelData, tokenizer: Tokenizer, maxLength: number): (TextExample | MultiLabelTextExample)[] {
  const examples: (TextExample | MultiLabelTextExample)[] = data.encode(tokenizer);
  return maxLength > 0 ? examples.map((ex) => ({ ...ex, input: ex.input.subarray(0, maxLength) })) : examples;
}

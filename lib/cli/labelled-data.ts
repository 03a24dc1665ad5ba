// Labelled text files for the classifier commands (train, eval): JSON Lines by the .jsonl
// extension, CSV otherwise (the AG News layout by default: label column 0, the other columns
// joined into the text), read with a DataLayout, encoded with the run's tokenizer and cut to
// maxLength tokens.

import { readClassificationCsv, readClassificationJsonl, type TextClassificationData, type TextExample } from '../data/classification.js';
import { CsvParser } from '../data/csv.js';
import { checkFile, textChunks } from '../data/files.js';
import type { Tokenizer } from '../data/tokenizers.js';
import type { DataLayout } from './checkpoint.js';

export type ReadLayout = Omit<DataLayout, 'numClasses' | 'maxLength'>;

/** Fields of the first CSV record (0 for a file without one). */
async function csvWidth(op: string, file: string): Promise<number> {
  const parser = new CsvParser(`${op}: ${file}`);
  for await (const chunk of textChunks(op, file)) {
    const first = parser.push(chunk)[0];
    if (first) return first.fields.length;
  }
  return parser.end()[0]?.fields.length ?? 0;
}

/** Reads a labelled file; labels must lie in labelOffset..labelOffset+numClasses-1 when numClasses is given. */
export async function readLabelled(file: string, layout: ReadLayout, numClasses?: number): Promise<TextClassificationData> {
  const labels = { labelOffset: layout.labelOffset, ...(numClasses === undefined ? {} : { numClasses }) };
  if (file.toLowerCase().endsWith('.jsonl')) {
    return readClassificationJsonl(file, { textField: layout.textField, labelField: layout.labelField, ...labels });
  }
  const op = 'readClassificationCsv';
  await checkFile(op, file);
  let textColumns = layout.textColumns;
  if (textColumns === null) {
    const width = await csvWidth(op, file);
    textColumns = Array.from({ length: width }, (_, i) => i).filter((i) => i !== layout.labelColumn);
    // A file with one column (or none) gets its error from the reader.
    if (textColumns.length === 0) textColumns = [layout.labelColumn + 1];
  }
  return readClassificationCsv(file, { labelColumn: layout.labelColumn, textColumns, header: layout.header, ...labels });
}

/** Token-id examples of the texts, each cut to maxLength tokens (0: no limit). */
export function encodeLabelled(data: TextClassificationData, tokenizer: Tokenizer, maxLength: number): TextExample[] {
  const examples = data.encode(tokenizer);
  return maxLength > 0 ? examples.map((ex) => ({ input: ex.input.subarray(0, maxLength), target: ex.target })) : examples;
}

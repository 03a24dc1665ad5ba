// An incremental RFC 4180 CSV parser: feed it text chunks of any size (split anywhere) and it
// returns the complete records, each with the line its first field starts on. Quoted fields may
// hold commas, doubled quotes ("") and line breaks; line breaks are \n (the readers turn \r\n into
// \n before parsing, so CRLF files and CRLF inside quoted fields read as \n). Blank lines are
// skipped. Strict where RFC 4180 is: a quote inside an unquoted field, text after a closing quote
// and an unterminated quote are errors that name file:line.

import { ArgumentError } from '../errors.js';

export interface CsvRecord {
  fields: string[];
  /** 1-based line of the record's first character. */
  line: number;
}

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
}

const QUOTE = 34; // "
const NEWLINE = 10; // \n

export class CsvParser {
  readonly #where: string;
  readonly #separator: number;
  #state = State.FieldStart;
  #field = '';
  #fields: string[] = [];
  #line = 1;
  #recordLine = 1;
  #quoteLine = 1;

  /** where: 'op: file', the start of every error message. */
  constructor(where: string, separator = ',') {
    this.#where = where;
    this.#separator = separator.charCodeAt(0);
  }

  #fail(line: number, problem: string): never {
    throw new ArgumentError(`${this.#where}:${line}: ${problem}`);
  }

  #endField(): void {
    this.#fields.push(this.#field);
    this.#field = '';
  }

  #endRecord(out: CsvRecord[]): void {
    this.#endField();
    out.push({ fields: this.#fields, line: this.#recordLine });
    this.#fields = [];
  }

  /** Parses a chunk; returns the records it completed. */
  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    const sep = this.#separator;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const c = chunk.charCodeAt(i);
      switch (this.#state) {
        case State.FieldStart:
          if (this.#fields.length === 0) this.#recordLine = this.#line;
          if (c === QUOTE) {
            this.#state = State.Quoted;
            this.#quoteLine = this.#line;
          } else if (c === sep) {
            this.#endField();
          } else if (c === NEWLINE) {
            if (this.#fields.length > 0) this.#endRecord(out); // else: a blank line, skipped
            this.#line++;
          } else {
            this.#state = State.Unquoted;
            continue; // read the character again as part of the field
          }
          i++;
          break;
        case State.Unquoted: {
          // Take the run of ordinary characters at once.
          let j = i;
          while (j < n) {
            const d = chunk.charCodeAt(j);
            if (d === sep || d === NEWLINE || d === QUOTE) break;
            j++;
          }
          this.#field += chunk.slice(i, j);
          i = j;
          if (i === n) break;
          if (chunk.charCodeAt(i) === QUOTE) {
            this.#fail(this.#line, 'a quote inside an unquoted field (quote the whole field and double the quotes inside it)');
          }
          if (chunk.charCodeAt(i) === sep) {
            this.#endField();
            this.#state = State.FieldStart;
          } else {
            this.#endRecord(out);
            this.#line++;
            this.#state = State.FieldStart;
          }
          i++;
          break;
        }
        case State.Quoted: {
          let j = i;
          while (j < n) {
            const d = chunk.charCodeAt(j);
            if (d === QUOTE) break;
            if (d === NEWLINE) this.#line++;
            j++;
          }
          this.#field += chunk.slice(i, j);
          i = j;
          if (i < n) {
            this.#state = State.QuoteInQuoted;
            i++;
          }
          break;
        }
        case State.QuoteInQuoted:
          if (c === QUOTE) {
            this.#field += '"';
            this.#state = State.Quoted;
          } else if (c === sep) {
            this.#endField();
            this.#state = State.FieldStart;
          } else if (c === NEWLINE) {
            this.#endRecord(out);
            this.#line++;
            this.#state = State.FieldStart;
          } else {
            const opened = this.#quoteLine === this.#line ? '' : `; the quoted field opened on line ${this.#quoteLine}, so a quote may be missing there`;
            this.#fail(this.#line, `unexpected ${JSON.stringify(String.fromCharCode(c))} after a closing quote (expected a comma or the end of the line${opened})`);
          }
          i++;
          break;
      }
    }
    return out;
  }

  /** Ends the input; returns the last record if the text did not end with a line break. */
  end(): CsvRecord[] {
    const out: CsvRecord[] = [];
    if (this.#state === State.Quoted) this.#fail(this.#quoteLine, 'unterminated quoted field (no closing quote before the end of the file)');
    if (this.#state !== State.FieldStart || this.#fields.length > 0) this.#endRecord(out);
    this.#state = State.FieldStart;
    return out;
  }
}

/** Parses a whole CSV text (for tests and small inputs). */
export function parseCsv(text: string, where = 'parseCsv: <text>'): CsvRecord[] {
  const parser = new CsvParser(where);
  return [...parser.push(text.replace(/\r\n/g, '\n')), ...parser.end()];
}

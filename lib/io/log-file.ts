// A log file that grows by whole records (CSV rows, JSON lines, TFRecords): each add() is one
// write of complete records followed by fdatasync, so a crash loses at most the add() under way
// and never leaves what was written before half-written. The first add() creates the folder and
// replaces any file already there (a new run), unless the log continues one (append).

import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { checkBoolean } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError, CheckpointError } from '../errors.js';
import { errorText } from './atomic.js';

/** A log file's path argument: a non-empty string. */
export function checkLogPath(op: string, arg: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new ArgumentError(`${op}: ${arg} must be a non-empty file path, got ${describe(value)}`);
  return value;
}

export class LogFile {
  readonly op: string;
  readonly path: string;
  readonly append: boolean;
  #started = false;

  constructor(op: string, path: string, append: unknown = false) {
    this.op = op;
    this.path = path;
    this.append = checkBoolean(op, 'options.append', append);
  }

  /** True before the first add(). */
  get fresh(): boolean {
    return !this.#started;
  }

  /** What an appending log continues: the file's text, or '' when there is none yet. */
  async existing(): Promise<string> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw new CheckpointError(`${this.op}: cannot read ${this.path}: ${errorText(err)}`, { cause: err });
    }
  }

  async add(data: string | Uint8Array): Promise<void> {
    try {
      if (!this.#started) await mkdir(dirname(this.path), { recursive: true });
      const fh = await open(this.path, this.#started || this.append ? 'a' : 'w');
      try {
        await fh.writeFile(data);
        await fh.datasync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw new CheckpointError(`${this.op}: cannot write ${this.path}: ${errorText(err)}`, { cause: err });
    }
    this.#started = true;
  }
}

// Reading text files in bounded memory: decoded chunks (streamText) and lines (streamLines), both
// reading 64 KiB at a time, so a file of any size streams through a few chunks of memory. Line
// breaks are \n or \r\n (a \r\n split across two reads is still one break); a UTF-8 byte order mark
// at the start is dropped.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { checkInteger, checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError } from '../errors.js';

/**
 * A file: URL: a WHATWG URL, or any object with its href and protocol (Node's fs takes the same).
 * Structural, so the public types need neither the DOM lib nor @types/node.
 */
export interface FileUrl {
  readonly href: string;
  readonly protocol: string;
}

/** A file path: a string or a file: URL. */
export type PathLike = string | FileUrl;

function isUrl(path: unknown): path is FileUrl {
  return typeof path === 'object' && path !== null && typeof (path as FileUrl).href === 'string' && typeof (path as FileUrl).protocol === 'string';
}

export interface StreamTextOptions {
  /** Bytes read at a time (default 65536). */
  chunkBytes?: number;
}

/** Counts what a stream has read, for progress and memory checks. */
export interface ReadCounter {
  /** Bytes read from the file so far. */
  bytesRead: number;
}

/** The path as a string for messages and fs; an ArgumentError for anything else. */
export function checkPath(op: string, path: unknown): string {
  if (typeof path === 'string' && path !== '') return path;
  if (isUrl(path)) {
    if (path.protocol !== 'file:') throw new ArgumentError(`${op}: path must be a file path or a file: URL, got ${path.href}`);
    return fileURLToPath(path.href);
  }
  throw new ArgumentError(`${op}: path must be a file path or a file: URL, got ${describe(path)}`);
}

/** Turns an fs error into one clear ArgumentError line naming the operation and the file. */
export function fileError(op: string, file: string, err: unknown): unknown {
  const code = (err as { code?: string } | null)?.code;
  if (code === 'ENOENT') return new ArgumentError(`${op}: ${file}: no such file`);
  if (code === 'EISDIR') return new ArgumentError(`${op}: ${file}: is a folder, not a file`);
  if (code === 'EACCES' || code === 'EPERM') return new ArgumentError(`${op}: ${file}: permission denied`);
  if (code !== undefined) return new ArgumentError(`${op}: ${file}: cannot read (${(err as Error).message})`);
  return err;
}

/** Checks the file exists and is a regular file (so errors come before any work starts). */
export async function checkFile(op: string, file: string): Promise<number> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    return s.size;
  } catch (err) {
    throw fileError(op, file, err);
  }
}

/** Decoded text chunks of a file, \r\n → \n; the internal form with a read counter. */
export async function* textChunks(op: string, file: string, chunkBytes = 65536, counter?: ReadCounter): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let first = true;
  const stream = createReadStream(file, { highWaterMark: chunkBytes });
  try {
    for await (const buf of stream as AsyncIterable<Buffer>) {
      if (counter) counter.bytesRead += buf.length;
      let s = carry + decoder.write(buf);
      carry = '';
      if (first && s.length > 0) {
        if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
        first = false;
      }
      if (s.endsWith('\r')) {
        carry = '\r';
        s = s.slice(0, -1);
      }
      if (s.length > 0) yield s.includes('\r') ? s.replace(/\r\n/g, '\n') : s;
    }
  } catch (err) {
    throw fileError(op, file, err);
  } finally {
    stream.destroy();
  }
  const rest = carry + decoder.end();
  if (rest.length > 0) yield rest;
}

/** Lines of a file with their 1-based numbers, and whether each ended with a line break. */
export async function* numberedLines(
  op: string,
  file: string,
  counter?: ReadCounter,
): AsyncGenerator<{ text: string; line: number; terminated: boolean }> {
  let partial = '';
  let line = 1;
  for await (const chunk of textChunks(op, file, 65536, counter)) {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      const text = partial + chunk.slice(start, nl);
      partial = '';
      yield { text, line: line++, terminated: true };
      start = nl + 1;
    }
    partial += chunk.slice(start);
  }
  if (partial.length > 0) yield { text: partial, line, terminated: false };
}

/**
 * The text of a file as an async iterable of chunks (about options.chunkBytes bytes each, never
 * splitting a character), with \r\n turned into \n. Holds one chunk at a time. Bad arguments throw
 * at once; a missing file rejects the first next().
 */
export function streamText(path: PathLike, options?: StreamTextOptions): AsyncGenerator<string> {
  const op = 'streamText';
  const file = checkPath(op, path);
  const opts = checkOptions(op, options, ['chunkBytes'] as const);
  const chunkBytes = checkInteger(op, 'options.chunkBytes', opts.chunkBytes ?? 65536);
  if (chunkBytes < 1) throw new ArgumentError(`${op}: options.chunkBytes must be >= 1, got ${chunkBytes}`);
  return (async function* () {
    await checkFile(op, file);
    yield* textChunks(op, file, chunkBytes);
  })();
}

/**
 * The lines of a file as an async iterable of strings without their \n or \r\n. Holds one chunk and
 * the current line at a time (a single line is held whole, however long). A final line break does
 * not add an empty last line.
 */
export function streamLines(path: PathLike): AsyncGenerator<string> {
  const op = 'streamLines';
  const file = checkPath(op, path);
  return (async function* () {
    await checkFile(op, file);
    for await (const { text } of numberedLines(op, file)) yield text;
  })();
}

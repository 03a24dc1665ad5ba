// The safetensors format, in memory: encode() turns named tensors into a file's bytes, decode()
// validates a file's bytes completely and only then creates tensors from them.
//
// Layout: an 8-byte little-endian unsigned header length N, N bytes of UTF-8 JSON
//   {"__metadata__": {string: string}, "<name>": {"dtype": "F32", "shape": [..],
//    "data_offsets": [begin, end]}, ...}
// then the data buffer: every tensor's elements, row-major, little-endian, at [begin, end)
// relative to the buffer's start. The tensors tile the buffer exactly (no gaps, no overlaps, no
// trailing bytes), as the reference implementation (the `safetensors` Rust crate behind the
// Python package) requires.

import { checkBoolean, checkOptions } from '../args.js';
import { checkDevice, defaultDevice } from '../device.js';
import { describe, type Device } from '../dtype.js';
import { ArgumentError, CheckpointError, DisposedError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import { Tensor } from '../tensor.js';

/** The largest header decode() accepts, as the reference implementation (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Dimensions above this are refused (rnnkit's own limit on a tensor's elements, 2^48). */
const MAX_DIM = 2 ** 48;

export interface DecodeOptions {
  /** The file's name, for error messages. */
  file?: string;
  /**
   * Also read F64 tensors (rounded to float32) and I64 tensors (as int32; a value outside the
   * int32 range is a CheckpointError). Default false: F64 and I64 are a CheckpointError, like
   * every dtype other than F32 and I32.
   */
  convert64?: boolean;
  /** Where the tensors are created (default: defaultDevice()). */
  device?: Device;
}

const DECODE_OPTIONS = ['file', 'convert64', 'device'] as const;

export interface Decoded {
  /** name → a new tensor (owned by the caller), in the order of the data buffer. */
  tensors: Record<string, Tensor>;
  /** The header's `__metadata__` ({} when absent). */
  metadata: Record<string, string>;
}

interface Entry {
  name: string;
  code: string;
  shape: number[];
  numel: number;
  begin: number;
  end: number;
}

/** dtype code → bytes per element, for the codes decode() can read. */
const ITEM_SIZE: Record<string, number> = { F32: 4, I32: 4, F64: 8, I64: 8 };

/** Every dtype code of the format, so an unsupported one is named as such rather than unknown. */
const KNOWN_CODES = new Set([
  'BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2',
  'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'C64', 'F64', 'I64', 'U64',
]);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses each itemSize-byte group in place (only on big-endian hosts). */
function swapBytes(bytes: Uint8Array, itemSize: number): void {
  for (let i = 0; i + itemSize <= bytes.length; i += itemSize) bytes.subarray(i, i + itemSize).reverse();
}

/** Byte-wise UTF-8 order, as the reference writer sorts names (Rust's String order). */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const DTYPE_CODE = { float32: 'F32', int32: 'I32' } as const;

/**
 * The bytes of a safetensors file holding `tensors` (each read with `await data()`; views are
 * written as their row-major elements) and, when given, `metadata` as `__metadata__`.
 *
 * Deterministic: tensors are laid out by dtype (F32 before I32) and then by name in UTF-8 byte
 * order, the order of the reference writer (`safetensors.torch.save_file`), and the header is
 * compact JSON with `__metadata__` first (its keys in the order given), then the tensors in data
 * order, padded with spaces to a multiple of 8 bytes. So the same tensors and metadata give the
 * same bytes as the Python library writes (for metadata with at most one key, whose order the
 * Python library leaves to a hash map).
 *
 * Every tensor's read is queued at once, when encode() is called: the file holds the values as
 * of that point in the stream, even if the tensors change or are disposed afterwards.
 */
export async function encode(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array> {
  const op = 'io.encode';
  if (typeof tensors !== 'object' || tensors === null || Array.isArray(tensors)) {
    throw new ArgumentError(`${op}: tensors must be an object of name → Tensor, got ${describe(tensors)}`);
  }
  const items = Object.entries(tensors);
  for (const [name, t] of items) {
    if (name === '__metadata__') throw new ArgumentError(`${op}: '__metadata__' is reserved by the format and cannot name a tensor`);
    if (!(t instanceof Tensor)) throw new ArgumentError(`${op}: tensors['${name}'] must be a Tensor, got ${describe(t)}`);
    if (t.disposed) throw new DisposedError(`${op}: tensors['${name}'] is a disposed tensor (shape [${t.shape.join(', ')}], ${t.dtype})`);
    if (!(t.dtype in DTYPE_CODE)) throw new ArgumentError(`${op}: tensors['${name}'] has dtype ${t.dtype}, which safetensors files from rnnkit cannot hold`);
  }
  let meta: [string, string][] | null = null;
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      throw new ArgumentError(`${op}: metadata must be an object of string → string, got ${describe(metadata)}`);
    }
    meta = Object.entries(metadata);
    for (const [key, value] of meta) {
      if (typeof value !== 'string') throw new ArgumentError(`${op}: metadata['${key}'] must be a string, got ${describe(value)}`);
    }
  }
  const code = (t: Tensor): string => DTYPE_CODE[t.dtype];
  // F32 before I32 (the reference sorts by dtype, descending, in its enum order), then by name.
  items.sort(([an, a], [bn, b]) => (code(a) === code(b) ? compareUtf8(an, bn) : code(a) === 'F32' ? -1 : 1));
  // Queue every read now, so the snapshot is one point in the stream.
  const reads = items.map(([, t]) => t.data());
  const arrays = await Promise.all(reads);

  const entries: [string, unknown][] = [];
  if (meta !== null) entries.push(['__metadata__', Object.fromEntries(meta)]);
  let offset = 0;
  items.forEach(([name, t], i) => {
    const bytes = arrays[i]!.byteLength;
    entries.push([name, { dtype: code(t), shape: [...t.shape], data_offsets: [offset, offset + bytes] }]);
    offset += bytes;
  });
  // Built by hand, not with JSON.stringify of one object: objects put integer-like keys first,
  // and the header must list the entries in exactly this order.
  const json = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
  const jsonBytes = Buffer.from(json, 'utf8');
  const headerLength = Math.ceil(jsonBytes.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(jsonBytes, 8);
  out.fill(0x20, 8 + jsonBytes.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const a of arrays) {
    const view = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    out.set(view, at);
    if (!LITTLE_ENDIAN) swapBytes(out.subarray(at, at + a.byteLength), 4);
    at += a.byteLength;
  }
  return out;
}

/**
 * Reads a safetensors file's bytes. Everything is validated before any tensor is created, and
 * every problem is a CheckpointError naming the file (options.file), the tensor and what is
 * wrong: the header length (at most 100 MB and within the file), the header (UTF-8 JSON object),
 * each entry's dtype (F32 → float32, I32 → int32; F64 and I64 with options.convert64; any other
 * is refused), shape (non-negative integers), data_offsets (two integers, begin <= end, end -
 * begin = elements × item size, inside the data buffer), the entries tiling the data buffer
 * exactly (no overlap, no gap, no trailing bytes), and `__metadata__` (string values).
 * Nothing is read outside `bytes`, and memory stays within a small multiple of its size. The
 * data is copied (the buffer may be unaligned), so `bytes` can be reused afterwards.
 */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): Decoded {
  return decodeAs('io.decode', bytes, options);
}

/** decode() with the op name used in messages (io.load, io.loadTensors). */
export function decodeAs(op: string, bytes: Uint8Array, options: DecodeOptions): Decoded {
  const opts = checkOptions(op, options, DECODE_OPTIONS);
  if (opts.file !== undefined && typeof opts.file !== 'string') {
    throw new ArgumentError(`${op}: options.file must be a string (the file's name for messages), got ${describe(opts.file)}`);
  }
  const file = opts.file;
  const device = opts.device === undefined ? defaultDevice() : checkDevice(op, 'options.device', opts.device);
  const convert64 = checkBoolean(op, 'options.convert64', opts.convert64 ?? false);
  const where = file !== undefined ? `${op}: ${file}` : op;
  const fail = (what: string): never => {
    throw new CheckpointError(`${where}: ${what}`);
  };
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError(`${op}: bytes must be a Uint8Array, got ${describe(bytes)}`);
  }

  // Header length.
  if (bytes.length < 8) fail(`the file has ${bytes.length} bytes, fewer than the 8 of a safetensors header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const claimed = view.getBigUint64(0, true);
  if (claimed > BigInt(MAX_HEADER_BYTES)) {
    fail(`the header length is ${claimed} bytes, more than the ${MAX_HEADER_BYTES / 1e6} MB a safetensors header may have (not a safetensors file, or a damaged one)`);
  }
  const n = Number(claimed);
  if (n > bytes.length - 8) {
    fail(`the header length is ${n} bytes, but the file has only ${bytes.length - 8} bytes after the length (truncated?)`);
  }
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;

  // Header JSON.
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    return fail('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    return fail(`the header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail(`the header must be a JSON object, got ${Array.isArray(header) ? 'an array' : header === null ? 'null' : typeof header}`);
  }

  // Entries.
  const metadata: [string, string][] = [];
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (info === null) continue;
      if (typeof info !== 'object' || Array.isArray(info)) fail(`__metadata__ must be an object of strings, got ${jsonType(info)}`);
      for (const [key, value] of Object.entries(info as Record<string, unknown>)) {
        if (typeof value !== 'string') fail(`__metadata__['${key}'] must be a string, got ${jsonType(value)}`);
        metadata.push([key, value as string]);
      }
      continue;
    }
    const bad = (what: string): never => fail(`tensor '${name}': ${what}`);
    if (typeof info !== 'object' || info === null || Array.isArray(info)) bad(`its entry must be an object with dtype, shape and data_offsets, got ${jsonType(info)}`);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtype !== 'string') return bad(`dtype must be a string, got ${jsonType(dtype)}`);
    const itemSize = ITEM_SIZE[dtype];
    if (itemSize === undefined || (itemSize === 8 && !convert64)) {
      const kind = KNOWN_CODES.has(dtype) ? 'is not supported' : 'is not a safetensors dtype';
      const hint = itemSize === 8 ? ' (pass convert64: true to read it as float32/int32)' : '';
      bad(`dtype ${JSON.stringify(dtype)} ${kind}; rnnkit reads F32 (float32) and I32 (int32)${hint}`);
    }
    if (!Array.isArray(shape)) return bad(`shape must be an array of sizes, got ${jsonType(shape)}`);
    let numel = 1;
    for (let i = 0; i < shape.length; i++) {
      const d: unknown = shape[i];
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) bad(`shape[${i}] must be a non-negative integer, got ${jsonType(d)}`);
      if ((d as number) > MAX_DIM) bad(`shape[${i}] = ${d as number} is larger than rnnkit's limit of 2^48 elements`);
      // Stays exact: once above the data buffer's length the product is only compared, not used.
      numel = Math.min(numel * (d as number), Number.MAX_SAFE_INTEGER);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2) return bad(`data_offsets must be [begin, end], got ${jsonType(offsets)}`);
    const [begin, end] = offsets as unknown[];
    for (const [label, v] of [['begin', begin], ['end', end]] as const) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(`data_offsets ${label} must be a non-negative integer, got ${jsonType(v)}`);
    }
    const b = begin as number;
    const e = end as number;
    if (b > e) bad(`data_offsets [${b}, ${e}] end before they begin`);
    if (e > dataLength) bad(`data_offsets [${b}, ${e}] reach past the data buffer, which has ${dataLength} bytes (truncated file?)`);
    if (e - b !== numel * itemSize!) {
      bad(`shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${numel >= Number.MAX_SAFE_INTEGER ? 'more than 2^53' : numel * itemSize!} bytes, but data_offsets [${b}, ${e}] hold ${e - b}`);
    }
    entries.push({ name, code: dtype, shape: (shape as number[]).slice(), numel, begin: b, end: e });
  }

  // The entries must tile the data buffer exactly.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | null = null;
  for (const entry of entries) {
    if (entry.begin < covered) {
      fail(`tensor '${entry.name}' at data_offsets [${entry.begin}, ${entry.end}] overlaps tensor '${previous!.name}' at [${previous!.begin}, ${previous!.end}]`);
    }
    if (entry.begin > covered) {
      fail(`bytes [${covered}, ${entry.begin}) of the data buffer belong to no tensor (a gap before tensor '${entry.name}')`);
    }
    covered = entry.end;
    previous = entry;
  }
  if (covered !== dataLength) {
    fail(`the data buffer has ${dataLength} bytes, but the tensors cover only the first ${covered} (trailing bytes after ${previous ? `tensor '${previous.name}'` : 'the header'})`);
  }

  // Values: copied into aligned arrays, converted where asked; range checks before any tensor.
  const arrays = entries.map((entry) => readValues(entry, bytes.subarray(dataStart + entry.begin, dataStart + entry.end), fail));

  const created: [string, Tensor][] = [];
  try {
    entries.forEach((entry, i) => {
      const data = arrays[i]!;
      created.push([entry.name, tensor(data, { shape: entry.shape, dtype: data instanceof Float32Array ? 'float32' : 'int32', device })]);
    });
  } catch (err) {
    for (const [, t] of created) t.dispose();
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(`${where}: cannot create tensor '${entries[created.length]?.name}': ${(err as Error).message}`, { cause: err });
  }
  return { tensors: Object.fromEntries(created), metadata: Object.fromEntries(metadata) };
}

function readValues(entry: Entry, raw: Uint8Array, fail: (what: string) => never): Float32Array | Int32Array {
  // A fresh, aligned buffer (not raw.slice(): on a Node Buffer that is a view, not a copy).
  const copy = new Uint8Array(raw.length);
  copy.set(raw);
  const itemSize = ITEM_SIZE[entry.code]!;
  if (!LITTLE_ENDIAN) swapBytes(copy, itemSize);
  switch (entry.code) {
    case 'F32':
      return new Float32Array(copy.buffer, 0, entry.numel);
    case 'I32':
      return new Int32Array(copy.buffer, 0, entry.numel);
    case 'F64':
      return Float32Array.from(new Float64Array(copy.buffer, 0, entry.numel));
    default: {
      const wide = new BigInt64Array(copy.buffer, 0, entry.numel);
      const out = new Int32Array(entry.numel);
      for (let i = 0; i < wide.length; i++) {
        const v = wide[i]!;
        if (v < -2147483648n || v > 2147483647n) fail(`tensor '${entry.name}': I64 element ${i} = ${v} does not fit in int32`);
        out[i] = Number(v);
      }
      return out;
    }
  }
}

/** A JSON value's kind for messages: 'a string', '-1', 'null', 'an object', ... (short). */
function jsonType(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

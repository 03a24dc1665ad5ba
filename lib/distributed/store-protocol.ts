// The rendezvous store's wire protocol. It is fixed: a C++ client (native/dist) speaks it to the
// TypeScript server, so any change here is a change there.
//
// Every message is one frame:  u32le n, then n bytes ("the rest"). All integers little-endian.
//
//   request:  u8 op | u32le keyLength | key (UTF-8) | u32le valueLength | value
//   reply:    u8 status | u32le valueLength | value
//             status 0 = ok; status 1 = error, value = a UTF-8 message
//
//   op 1 SET    store value under key, replacing any.     reply ok, empty value
//   op 2 GET    the value of key. The server replies only once the key exists: it keeps the GET
//               pending until the key is set or the client disconnects (timeouts are the
//               client's).                                 reply ok, value = stored bytes
//   op 3 ADD    value = i64le delta. The key holds a counter as 8 bytes i64le (missing = 0);
//               adds delta (wrapping at 64 bits).          reply ok, value = new counter, i64le
//   op 4 CHECK  whether key exists (value empty).          reply ok, value = one byte, 1 or 0
//
// Requests on one connection are answered in order: a pending GET holds back the requests sent
// after it on that connection, and no other connection's.

export const Op = { SET: 1, GET: 2, ADD: 3, CHECK: 4 } as const;
export type Op = (typeof Op)[keyof typeof Op];
export const Status = { OK: 0, ERROR: 1 } as const;

/** The largest frame either side accepts: a bigger length prefix means a broken or hostile peer. */
export const MAX_FRAME_BYTES = 1 << 30;

export interface Request {
  op: number;
  key: string;
  value: Uint8Array;
}
export interface Reply {
  ok: boolean;
  value: Uint8Array;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function frame(parts: readonly Uint8Array[]): Uint8Array {
  const size = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(4 + size);
  new DataView(out.buffer).setUint32(0, size, true);
  let at = 4;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u8(n: number): Uint8Array {
  return Uint8Array.of(n);
}
function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

export function encodeRequest(op: Op, key: string, value: Uint8Array = new Uint8Array(0)): Uint8Array {
  const k = utf8.encode(key);
  return frame([u8(op), u32(k.length), k, u32(value.length), value]);
}

export function encodeReply(ok: boolean, value: Uint8Array): Uint8Array {
  return frame([u8(ok ? Status.OK : Status.ERROR), u32(value.length), value]);
}

export function encodeI64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt.asIntN(64, n), true);
  return b;
}

export function decodeI64(b: Uint8Array): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigInt64(0, true);
}

export function encodeText(s: string): Uint8Array {
  return utf8.encode(s);
}
export function decodeText(b: Uint8Array): string {
  return fromUtf8.decode(b);
}

/** Reads a length-prefixed field at `at`; throws a plain Error (the caller words it) past the end. */
function field(rest: Uint8Array, view: DataView, at: number, what: string): [Uint8Array, number] {
  if (at + 4 > rest.length) throw new Error(`the frame ends inside the ${what} length`);
  const n = view.getUint32(at, true);
  if (at + 4 + n > rest.length) throw new Error(`the ${what} length ${n} runs past the frame's end`);
  return [rest.subarray(at + 4, at + 4 + n), at + 4 + n];
}

/** A request from a frame's rest; throws an Error describing how it is malformed. */
export function decodeRequest(rest: Uint8Array): Request {
  if (rest.length < 1) throw new Error('the frame is empty');
  const view = new DataView(rest.buffer, rest.byteOffset, rest.byteLength);
  const [key, at] = field(rest, view, 1, 'key');
  const [value, end] = field(rest, view, at, 'value');
  if (end !== rest.length) throw new Error(`${rest.length - end} bytes follow the value`);
  return { op: rest[0]!, key: decodeText(key), value };
}

/** A reply from a frame's rest; throws an Error describing how it is malformed. */
export function decodeReply(rest: Uint8Array): Reply {
  if (rest.length < 1) throw new Error('the frame is empty');
  const view = new DataView(rest.buffer, rest.byteOffset, rest.byteLength);
  const [value, end] = field(rest, view, 1, 'value');
  if (end !== rest.length) throw new Error(`${rest.length - end} bytes follow the value`);
  const status = rest[0]!;
  if (status !== Status.OK && status !== Status.ERROR) throw new Error(`unknown status ${status}`);
  return { ok: status === Status.OK, value };
}

/**
 * Cuts a byte stream into frames: push() each chunk as it arrives, get back the rests of the
 * frames it completed (copied, so they outlive the chunk).
 */
export class FrameReader {
  #pending: Uint8Array[] = [];
  #size = 0;

  push(chunk: Uint8Array): Uint8Array[] {
    this.#pending.push(chunk);
    this.#size += chunk.length;
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.#size < 4) break;
      const head = this.#take(4, false);
      const n = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
      if (n > MAX_FRAME_BYTES) throw new Error(`a frame of ${n} bytes is larger than the limit of ${MAX_FRAME_BYTES}`);
      if (this.#size < 4 + n) break;
      this.#take(4, true);
      frames.push(this.#take(n, true));
    }
    return frames;
  }

  /** The first n buffered bytes as one array; removed from the buffer when `consume`. */
  #take(n: number, consume: boolean): Uint8Array {
    const first = this.#pending[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.slice(0, n);
    } else {
      out = new Uint8Array(n);
      let at = 0;
      for (const chunk of this.#pending) {
        const part = chunk.subarray(0, n - at);
        out.set(part, at);
        at += part.length;
        if (at === n) break;
      }
    }
    if (consume) {
      let left = n;
      while (left > 0) {
        const head = this.#pending[0]!;
        if (head.length <= left) {
          this.#pending.shift();
          left -= head.length;
        } else {
          this.#pending[0] = head.subarray(left);
          left = 0;
        }
      }
      this.#size -= n;
    }
    return out;
  }
}

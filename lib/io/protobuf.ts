// The protobuf wire format, as much as TensorBoard's Event and Summary messages need: a writer
// that emits fields in the order given (proto3 serializers emit them by field number, so writing
// them that way gives the bytes the reference implementation writes), and a reader that walks a
// message's fields and skips those it is not asked about.

import { ArgumentError } from '../errors.js';

/** Wire types: 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit. */
export type WireType = 0 | 1 | 2 | 5;

const utf8 = new TextEncoder();

/** Builds one message. Integers are non-negative and at most 2^53 - 1 (steps, lengths). */
export class ProtoWriter {
  readonly #bytes: number[] = [];

  #varint(n: number): void {
    let v = n;
    while (v >= 0x80) {
      this.#bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.#bytes.push(v);
  }

  #key(field: number, wire: WireType): void {
    this.#varint(field * 8 + wire);
  }

  #fixed(field: number, wire: 1 | 5, write: (view: DataView) => void): void {
    this.#key(field, wire);
    const view = new DataView(new ArrayBuffer(wire === 1 ? 8 : 4));
    write(view);
    for (const b of new Uint8Array(view.buffer)) this.#bytes.push(b);
  }

  uint(field: number, value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new ArgumentError(`protobuf: field ${field} must be a non-negative safe integer, got ${value}`);
    this.#key(field, 0);
    this.#varint(value);
    return this;
  }

  double(field: number, value: number): this {
    this.#fixed(field, 1, (view) => view.setFloat64(0, value, true));
    return this;
  }

  float(field: number, value: number): this {
    this.#fixed(field, 5, (view) => view.setFloat32(0, value, true));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.#key(field, 2);
    this.#varint(value.length);
    for (const b of value) this.#bytes.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

/** One field of a message: a varint's value, or the raw payload of the other wire types. */
export type ProtoField =
  | { field: number; wire: 0; value: number }
  | { field: number; wire: 1 | 2 | 5; payload: Uint8Array };

/**
 * The fields of a message in the order they appear. `what` names the message in errors
 * ("events.out.tfevents...: record 3"). A truncated message, a group (wire types 3, 4) or a
 * varint above 2^53 is an ArgumentError.
 */
export function* readFields(bytes: Uint8Array, what: string): Generator<ProtoField> {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (at >= bytes.length) throw new ArgumentError(`${what}: protobuf message ends inside a varint (byte ${at})`);
      const b = bytes[at++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new ArgumentError(`${what}: protobuf varint at byte ${at} is longer than 8 bytes`);
    }
    if (!Number.isSafeInteger(value)) throw new ArgumentError(`${what}: protobuf varint ${value} exceeds 2^53 - 1`);
    return value;
  };
  const take = (n: number): Uint8Array => {
    if (at + n > bytes.length) throw new ArgumentError(`${what}: protobuf field of ${n} bytes at byte ${at} runs past the message's end (${bytes.length} bytes)`);
    const payload = bytes.subarray(at, at + n);
    at += n;
    return payload;
  };
  while (at < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) yield { field, wire, value: varint() };
    else if (wire === 1) yield { field, wire, payload: take(8) };
    else if (wire === 5) yield { field, wire, payload: take(4) };
    else if (wire === 2) yield { field, wire, payload: take(varint()) };
    else throw new ArgumentError(`${what}: protobuf field ${field} has wire type ${wire}, which this reader does not take (groups)`);
  }
}

const view = (payload: Uint8Array): DataView => new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** A 64-bit field's payload as a double. */
export const asDouble = (payload: Uint8Array): number => view(payload).getFloat64(0, true);
/** A 32-bit field's payload as a float. */
export const asFloat = (payload: Uint8Array): number => view(payload).getFloat32(0, true);

/** A length-delimited field's payload as UTF-8 text. */
export function asString(payload: Uint8Array, what: string): string {
  try {
    return utf8Decoder.decode(payload);
  } catch {
    throw new ArgumentError(`${what}: a protobuf string field is not valid UTF-8`);
  }
}

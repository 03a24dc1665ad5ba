// The store's frames, byte for byte as store-protocol.ts writes them down (a C++ client speaks
// them too), and the frame reader on streams cut anywhere.

import { describe, expect, it } from 'vitest';
import { decodeI64, decodeReply, decodeRequest, encodeI64, encodeReply, encodeRequest, FrameReader, MAX_FRAME_BYTES, Op } from '../../lib/distributed/store-protocol.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('store protocol', () => {
  it('a request is u32le rest length, u8 op, u32le key length, key, u32le value length, value', () => {
    expect(hex(encodeRequest(Op.SET, 'ké', Uint8Array.of(7, 8)))).toBe('0e000000' + '01' + '03000000' + '6bc3a9' + '02000000' + '0708');
    expect(hex(encodeRequest(Op.GET, 'a'))).toBe('0a000000' + '02' + '01000000' + '61' + '00000000');
  });

  it('a reply is u32le rest length, u8 status, u32le value length, value', () => {
    expect(hex(encodeReply(true, Uint8Array.of(1)))).toBe('06000000' + '00' + '01000000' + '01');
    expect(hex(encodeReply(false, new TextEncoder().encode('no')))).toBe('07000000' + '01' + '02000000' + '6e6f');
  });

  it('counters are i64le and wrap at 64 bits', () => {
    expect(hex(encodeI64(-2n))).toBe('feffffffffffffff');
    expect(decodeI64(encodeI64(2n ** 63n))).toBe(-(2n ** 63n));
    expect(decodeI64(encodeI64(123456789012n))).toBe(123456789012n);
  });

  it('decodes what it encodes, and names what is malformed', () => {
    const frame = encodeRequest(Op.ADD, 'counter', encodeI64(5n));
    const r = decodeRequest(frame.subarray(4));
    expect({ op: r.op, key: r.key, delta: decodeI64(r.value) }).toEqual({ op: Op.ADD, key: 'counter', delta: 5n });
    expect(decodeReply(encodeReply(false, Uint8Array.of(65)).subarray(4))).toEqual({ ok: false, value: Uint8Array.of(65) });
    expect(() => decodeRequest(new Uint8Array(0))).toThrow('the frame is empty');
    expect(() => decodeRequest(Uint8Array.of(1, 9, 0, 0, 0, 97))).toThrow('the key length 9 runs past the frame');
    expect(() => decodeRequest(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 42))).toThrow('1 bytes follow the value');
    expect(() => decodeReply(Uint8Array.of(2, 0, 0, 0, 0))).toThrow('unknown status 2');
  });

  it('the frame reader finds frames in a stream cut at every byte', () => {
    const frames = [encodeRequest(Op.SET, 'k', Uint8Array.of(1, 2, 3)), encodeRequest(Op.CHECK, ''), encodeReply(true, new Uint8Array(300))];
    const stream = Buffer.concat(frames);
    for (let cut = 0; cut <= stream.length; cut++) {
      const reader = new FrameReader();
      const got = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      expect(got.map(hex)).toEqual(frames.map((f) => hex(f.subarray(4))));
    }
    const reader = new FrameReader();
    const one = Buffer.concat([Buffer.from(frames[0]!), Buffer.from(frames[1]!.subarray(0, 2))]);
    expect(reader.push(one).length).toBe(1);
    expect(reader.push(frames[1]!.subarray(2)).map(hex)).toEqual([hex(frames[1]!.subarray(4))]);
  });

  it('refuses a length prefix past the limit', () => {
    const head = new Uint8Array(4);
    new DataView(head.buffer).setUint32(0, MAX_FRAME_BYTES + 1, true);
    expect(() => new FrameReader().push(head)).toThrow(`larger than the limit of ${MAX_FRAME_BYTES}`);
  });
});

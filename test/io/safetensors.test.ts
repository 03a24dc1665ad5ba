// safetensors bytes: encode()/decode() round trips, the exact layout against hand-built bytes,
// and hostile input (truncations, bad headers, bad offsets, random mutations), each of which must
// be a CheckpointError and never a crash or a read outside the buffer.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { settledMemory, uniform } from '../helpers.js';

const { encode, decode } = rk.io;

/** A file from a header (object or raw JSON text), data bytes and an optional length override. */
function file(header: unknown, data: ArrayLike<number> = [], claimedLength?: bigint): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, claimedLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(Array.from(data), 8 + json.length);
  return out;
}

const f32 = (...values: number[]): number[] => Array.from(new Uint8Array(new Float32Array(values).buffer));
const i32 = (...values: number[]): number[] => Array.from(new Uint8Array(new Int32Array(values).buffer));

function expectCheckpointError(bytes: Uint8Array, message?: RegExp): rk.CheckpointError {
  let caught: unknown = null;
  try {
    const { tensors } = decode(bytes, { file: 'bad.safetensors' });
    for (const t of Object.values(tensors)) t.dispose();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'decode should have thrown').toBeInstanceOf(rk.CheckpointError);
  const err = caught as rk.CheckpointError;
  expect(err.message).toMatch(/^io\.decode: bad\.safetensors: /);
  if (message) expect(err.message).toMatch(message);
  return err;
}

function dispose(tensors: Record<string, rk.Tensor>): void {
  for (const t of Object.values(tensors)) t.dispose();
}

describe('encode and decode', () => {
  it('round-trips float32 and int32 tensors of every rank, empty ones and metadata', async () => {
    const shapes = [[], [1], [5], [0], [2, 3], [3, 0, 2], [2, 1, 3, 2], [1, 1, 1, 1, 1]];
    const tensors: Record<string, rk.Tensor> = {};
    shapes.forEach((shape, i) => {
      const n = shape.reduce((a, b) => a * b, 1);
      tensors[`f${i}`] = rk.tensor(uniform(n, i, -100, 100), { shape });
      tensors[`i${i}`] = rk.tensor(uniform(n, 50 + i, -1e9, 1e9).map(Math.round), { shape, dtype: 'int32' });
    });
    tensors.special = rk.tensor([NaN, Infinity, -Infinity, -0, 3.4e38, 1e-45]);
    tensors['ünïcode/名前 "quoted"'] = rk.tensor([7], { dtype: 'int32' });
    tensors['0'] = rk.tensor([1, 2]); // integer-like names sort first in JS objects
    const metadata = { step: '12', note: 'ä "q" \n', empty: '' };
    const bytes = await encode(tensors, metadata);
    expect(new DataView(bytes.buffer).getBigUint64(0, true) % 8n).toBe(0n); // header padded to 8 bytes
    const back = decode(bytes);
    expect(back.metadata).toEqual(metadata);
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const got = back.tensors[name]!;
      expect(got.dtype, name).toBe(t.dtype);
      expect([...got.shape], name).toEqual([...t.shape]);
      expect(Array.from(got.dataSync()), name).toEqual(Array.from(t.dataSync()));
    }
    expect(Object.is(back.tensors.special!.dataSync()[3], -0)).toBe(true);
    dispose(back.tensors);
    dispose(tensors);
  });

  it('writes exactly the bytes of a hand-built file (layout, order, padding)', async () => {
    const bytes = await encode(
      { b: rk.tensor([1, -2], { dtype: 'int32' }), a: rk.tensor(1.5), c: rk.tensor([[0.5], [-1]]) },
      { k: 'v' },
    );
    // F32 tensors first (by name), then I32; __metadata__ first; compact JSON; spaces to 8 bytes.
    const json =
      '{"__metadata__":{"k":"v"},' +
      '"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},' +
      '"c":{"dtype":"F32","shape":[2,1],"data_offsets":[4,12]},' +
      '"b":{"dtype":"I32","shape":[2],"data_offsets":[12,20]}}';
    expect(json.length).toBe(189);
    const expected = [
      192, 0, 0, 0, 0, 0, 0, 0, // header length, u64 little-endian: 189 rounded up to 192
      ...Buffer.from(json, 'latin1'), 0x20, 0x20, 0x20,
      0x00, 0x00, 0xc0, 0x3f, // a = 1.5f
      0x00, 0x00, 0x00, 0x3f, // c[0] = 0.5f
      0x00, 0x00, 0x80, 0xbf, // c[1] = -1f
      0x01, 0x00, 0x00, 0x00, // b[0] = 1
      0xfe, 0xff, 0xff, 0xff, // b[1] = -2
    ];
    expect(Array.from(bytes)).toEqual(expected);
    // No metadata given: no __metadata__ entry at all.
    const plain = await encode({ x: rk.tensor([0], { dtype: 'int32' }) });
    const plainJson = '{"x":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}';
    expect(Buffer.from(plain.subarray(8, 8 + 56)).toString('latin1')).toBe(plainJson.padEnd(56, ' '));
    expect(plain[0]).toBe(56);
  });

  it('is deterministic whatever the insertion order, and snapshots values at the call', async () => {
    const a = rk.tensor([1, 2, 3]);
    const b = rk.tensor([4], { dtype: 'int32' });
    const one = await encode({ a, b, z: a.reshape([3, 1]) });
    const two = await encode({ z: a.reshape([3, 1]), b, a });
    expect(Array.from(two)).toEqual(Array.from(one));
    // A transposed view is written as its row-major elements.
    const m = rk.tensor([[1, 2, 3], [4, 5, 6]]);
    const back = decode(await encode({ t: m.transpose() }));
    expect([...back.tensors.t!.shape]).toEqual([3, 2]);
    expect(Array.from(back.tensors.t!.dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
    // Disposing a tensor right after encode() is called does not change what is written.
    const c = rk.tensor([9, 8]);
    const pending = encode({ c });
    c.dispose();
    expect(Array.from(decode(await pending).tensors.c!.dataSync())).toEqual([9, 8]);
  });

  it('decodes a data buffer at an odd byte offset (unaligned) by copying', () => {
    const good = file({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(0.25, -3));
    const shifted = new Uint8Array(good.length + 1).subarray(1);
    shifted.set(good);
    const { tensors } = decode(shifted);
    expect(Array.from(tensors.x!.dataSync())).toEqual([0.25, -3]);
    shifted.fill(0); // decode copied; the tensor does not see later changes
    expect(Array.from(tensors.x!.dataSync())).toEqual([0.25, -3]);
    // A Node Buffer from the shared pool (its slice() is a view, not a copy).
    const pooled = Buffer.from(good);
    expect(pooled.byteOffset).toBeGreaterThan(0);
    expect(Array.from(decode(pooled).tensors.x!.dataSync())).toEqual([0.25, -3]);
  });

  it('reads F64 and I64 only with convert64, and refuses other dtypes naming the tensor', () => {
    const f64 = Array.from(new Uint8Array(new Float64Array([0.1, -2]).buffer));
    const i64 = Array.from(new Uint8Array(new BigInt64Array([5n, -7n]).buffer));
    const bytes = file(
      { d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] }, l: { dtype: 'I64', shape: [2], data_offsets: [16, 32] } },
      [...f64, ...i64],
    );
    expectCheckpointError(bytes, /tensor 'd': dtype "F64" is not supported; rnnkit reads F32 \(float32\) and I32 \(int32\) \(pass convert64/);
    const { tensors } = decode(bytes, { convert64: true });
    expect(tensors.d!.dtype).toBe('float32');
    expect(Array.from(tensors.d!.dataSync())).toEqual([Math.fround(0.1), -2]);
    expect(tensors.l!.dtype).toBe('int32');
    expect(Array.from(tensors.l!.dataSync())).toEqual([5, -7]);
    dispose(tensors);
    const big = file({ l: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, Array.from(new Uint8Array(new BigInt64Array([2n ** 40n]).buffer)));
    expect(() => decode(big, { convert64: true })).toThrow(/tensor 'l': I64 element 0 = 1099511627776 does not fit in int32/);
    for (const [dtype, size] of [['F16', 2], ['BF16', 2], ['U8', 1], ['BOOL', 1], ['U32', 4]] as const) {
      expectCheckpointError(file({ h: { dtype, shape: [2], data_offsets: [0, 2 * size] } }, new Array(2 * size).fill(0)), new RegExp(`tensor 'h': dtype "${dtype}" is not supported`));
    }
    expectCheckpointError(file({ h: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]), /tensor 'h': dtype "Q4" is not a safetensors dtype/);
  });

  it('checks its arguments', async () => {
    await expect(encode({ __metadata__: rk.tensor([1]) })).rejects.toThrow(/reserved/);
    await expect(encode({ x: [1, 2] as unknown as rk.Tensor })).rejects.toThrow(rk.ArgumentError);
    await expect(encode({ x: rk.tensor([1]) }, { k: 3 as unknown as string })).rejects.toThrow(/metadata\['k'\] must be a string/);
    const gone = rk.tensor([1]);
    gone.dispose();
    await expect(encode({ gone })).rejects.toThrow(rk.DisposedError);
    await expect(encode({ gone })).rejects.toThrow(/tensors\['gone'\] is a disposed tensor/);
    expect(() => decode([1, 2] as unknown as Uint8Array)).toThrow(rk.ArgumentError);
    expect(() => decode(new Uint8Array(8), { fileName: 'x' } as unknown as rk.io.DecodeOptions)).toThrow(/unknown option 'fileName'/);
  });
});

describe('hostile files', () => {
  const good = (): Uint8Array =>
    file(
      {
        __metadata__: { step: '3' },
        w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
        e: { dtype: 'F32', shape: [0], data_offsets: [16, 16] },
        n: { dtype: 'I32', shape: [3], data_offsets: [16, 28] },
      },
      [...f32(1, 2, 3, 4), ...i32(5, 6, 7)],
    );

  it('accepts the unmodified file (the mutations below start from a valid one)', () => {
    const { tensors, metadata } = decode(good());
    expect(metadata).toEqual({ step: '3' });
    expect(Array.from(tensors.n!.dataSync())).toEqual([5, 6, 7]);
    dispose(tensors);
  });

  it('refuses the file truncated at every byte position', () => {
    const bytes = good();
    for (let n = 0; n < bytes.length; n++) expectCheckpointError(bytes.slice(0, n));
    expectCheckpointError(bytes.slice(0, 5), /the file has 5 bytes, fewer than the 8 of a safetensors header length/);
    expectCheckpointError(bytes.slice(0, 50), /the header length is \d+ bytes, but the file has only 42 bytes after the length \(truncated\?\)/);
    expectCheckpointError(bytes.slice(0, bytes.length - 1), /tensor 'n': data_offsets \[16, 28\] reach past the data buffer, which has 27 bytes/);
  });

  it('refuses header lengths beyond the file or the 100 MB limit without allocating them', () => {
    const base = good();
    const json = base.length - 8 - 28;
    expectCheckpointError(file(JSON.parse(Buffer.from(base.subarray(8, 8 + json)).toString()), base.subarray(8 + json), BigInt(json + 29)), /but the file has only/);
    const before = process.memoryUsage().arrayBuffers;
    expectCheckpointError(file({}, [], 200_000_000n), /the header length is 200000000 bytes, more than the 100 MB/);
    expectCheckpointError(file({}, [], 2n ** 64n - 1n), /the header length is 18446744073709551615 bytes/);
    expectCheckpointError(file({}, [], 99_999_999n), /but the file has only 2 bytes/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(10_000_000);
  });

  it('refuses headers that are not a UTF-8 JSON object', () => {
    expectCheckpointError(file('{"w": {"dtype": "F32",'), /the header is not valid JSON/);
    expectCheckpointError(file(''), /the header is not valid JSON/);
    expectCheckpointError(file('[]'), /the header must be a JSON object, got an array/);
    expectCheckpointError(file('null'), /got null/);
    expectCheckpointError(file('42'), /got number/);
    expectCheckpointError(file('"{}"'), /got string/);
    const invalidUtf8 = file('{"\u00ff": 1}');
    invalidUtf8[10] = 0xff; // a lone continuation-less byte
    expectCheckpointError(invalidUtf8, /the header is not valid UTF-8/);
  });

  it('refuses bad entries, naming the tensor', () => {
    const one = (info: unknown, data: number[] = f32(1, 2)) => file({ t: info }, data);
    expectCheckpointError(one('F32'), /tensor 't': its entry must be an object with dtype, shape and data_offsets, got "F32"/);
    expectCheckpointError(one({ shape: [2], data_offsets: [0, 8] }), /tensor 't': dtype must be a string, got nothing/);
    expectCheckpointError(one({ dtype: 'F32', data_offsets: [0, 8] }), /tensor 't': shape must be an array of sizes, got nothing/);
    expectCheckpointError(one({ dtype: 'F32', shape: [-2], data_offsets: [0, 8] }), /tensor 't': shape\[0\] must be a non-negative integer, got -2/);
    expectCheckpointError(one({ dtype: 'F32', shape: [1.5], data_offsets: [0, 8] }), /shape\[0\] must be a non-negative integer, got 1.5/);
    expectCheckpointError(one({ dtype: 'F32', shape: ['2'], data_offsets: [0, 8] }), /shape\[0\] must be a non-negative integer, got "2"/);
    expectCheckpointError(one({ dtype: 'F32', shape: [2 ** 53], data_offsets: [0, 8] }), /shape\[0\] must be a non-negative integer/);
    expectCheckpointError(one({ dtype: 'F32', shape: [0, 2 ** 50], data_offsets: [0, 0] }, []), /shape\[1\] = 1125899906842624 is larger than rnnkit's limit/);
    expectCheckpointError(one({ dtype: 'F32', shape: [2 ** 26, 2 ** 26, 2 ** 26], data_offsets: [0, 8] }), /needs more than 2\^53 bytes, but data_offsets \[0, 8\] hold 8/);
    expectCheckpointError(one({ dtype: 'F32', shape: [2] }), /tensor 't': data_offsets must be \[begin, end\], got nothing/);
    expectCheckpointError(one({ dtype: 'F32', shape: [2], data_offsets: [0, 4, 8] }), /data_offsets must be \[begin, end\], got an array/);
    expectCheckpointError(one({ dtype: 'F32', shape: [2], data_offsets: [-8, 0] }), /data_offsets begin must be a non-negative integer, got -8/);
    expectCheckpointError(one({ dtype: 'F32', shape: [2], data_offsets: [0, 8.5] }), /data_offsets end must be a non-negative integer, got 8.5/);
    expectCheckpointError(one({ dtype: 'F32', shape: [2], data_offsets: [8, 0] }), /data_offsets \[8, 0\] end before they begin/);
    expectCheckpointError(one({ dtype: 'F32', shape: [2], data_offsets: [0, 16] }), /data_offsets \[0, 16\] reach past the data buffer, which has 8 bytes/);
    expectCheckpointError(one({ dtype: 'F32', shape: [2], data_offsets: [0, 2 ** 60] }), /data_offsets end must be a non-negative integer/);
    expectCheckpointError(one({ dtype: 'F32', shape: [3], data_offsets: [0, 8] }), /tensor 't': shape \[3\] of F32 needs 12 bytes, but data_offsets \[0, 8\] hold 8/);
    expectCheckpointError(one({ dtype: 'I32', shape: [], data_offsets: [0, 8] }), /shape \[\] of I32 needs 4 bytes/);
  });

  it('refuses overlaps, gaps and trailing bytes', () => {
    const data = f32(1, 2, 3, 4);
    expectCheckpointError(
      file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [3], data_offsets: [4, 16] } }, data),
      /tensor 'b' at data_offsets \[4, 16\] overlaps tensor 'a' at \[0, 8\]/,
    );
    expectCheckpointError(
      file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data.slice(0, 8)),
      /overlaps/,
    );
    expectCheckpointError(
      file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, data),
      /bytes \[4, 8\) of the data buffer belong to no tensor \(a gap before tensor 'b'\)/,
    );
    expectCheckpointError(file({ b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, data), /bytes \[0, 8\) .* gap before tensor 'b'/);
    expectCheckpointError(file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data), /the data buffer has 16 bytes, but the tensors cover only the first 8 \(trailing bytes after tensor 'a'\)/);
    expectCheckpointError(file({}, [0]), /cover only the first 0 \(trailing bytes after the header\)/);
    // Empty tensors may sit anywhere in the tiling, including at the same offset.
    const ok = decode(
      file(
        { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, z: { dtype: 'I32', shape: [0, 5], data_offsets: [4, 4] }, y: { dtype: 'F32', shape: [0], data_offsets: [4, 4] }, b: { dtype: 'F32', shape: [3], data_offsets: [4, 16] } },
        data,
      ),
    );
    expect([...ok.tensors.z!.shape]).toEqual([0, 5]);
    dispose(ok.tensors);
  });

  it('refuses metadata that is not an object of strings, and accepts none', () => {
    const w = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
    expectCheckpointError(file({ __metadata__: { step: 3 }, w }, f32(1)), /__metadata__\['step'\] must be a string, got 3/);
    expectCheckpointError(file({ __metadata__: { cfg: { a: '1' } }, w }, f32(1)), /__metadata__\['cfg'\] must be a string, got an object/);
    expectCheckpointError(file({ __metadata__: ['a'], w }, f32(1)), /__metadata__ must be an object of strings, got an array/);
    expectCheckpointError(file({ __metadata__: 'x', w }, f32(1)), /__metadata__ must be an object of strings, got "x"/);
    const none = decode(file({ __metadata__: null, w }, f32(1)));
    expect(none.metadata).toEqual({});
    dispose(none.tensors);
    const proto = decode(file('{"__metadata__":{"__proto__":"p"},"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32(2)));
    expect(Object.keys(proto.metadata)).toEqual(['__proto__']);
    expect(Object.keys(proto.tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(proto.tensors)).toBe(Object.prototype);
    dispose(proto.tensors);
  });

  it('survives hundreds of random mutations: each decodes or is a CheckpointError', async () => {
    const base = await encode(
      {
        weight: rk.tensor(uniform(12, 1), { shape: [3, 4] }),
        bias: rk.tensor(uniform(3, 2), { shape: [3] }),
        steps: rk.tensor([1, 2], { dtype: 'int32' }),
        scalar: rk.tensor(0.5),
      },
      { epoch: '2' },
    );
    const headerEnd = 8 + Number(new DataView(base.buffer).getBigUint64(0, true));
    const start = await settledMemory();
    let state = 12345;
    const rand = (n: number): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    const outcomes = { decoded: 0, refused: 0 };
    const printable = Buffer.from('0123456789[]{},:"-. eFIabcdefghijklmnopqrstuvwxyz_', 'latin1');
    for (let k = 0; k < 600; k++) {
      const bytes = base.slice();
      const flips = 1 + rand(3);
      for (let j = 0; j < flips; j++) {
        const at = rand(headerEnd); // the length field and the header
        if (k % 2 === 0) bytes[at] = bytes[at]! ^ (1 << rand(8));
        else bytes[at] = printable[rand(printable.length)]!; // keeps the JSON closer to valid
      }
      try {
        const { tensors } = decode(bytes);
        outcomes.decoded++;
        for (const t of Object.values(tensors)) {
          expect(t.size * 4).toBeLessThanOrEqual(bytes.length);
          t.dataSync();
          t.dispose();
        }
      } catch (err) {
        if (!(err instanceof rk.CheckpointError)) throw new Error(`mutation ${k} threw ${String(err)}`, { cause: err });
        outcomes.refused++;
      }
    }
    expect(outcomes.refused).toBeGreaterThan(100);
    expect(outcomes.decoded).toBeGreaterThan(10); // e.g. changed names, digits in metadata
    expect((await settledMemory()).tensors).toBe(start.tensors);
  });
});

// Hostile safetensors files, shared by test/reliability/hostile-checkpoints.test.ts (short form)
// and scripts/reliability/hostile-checkpoints.mjs (long form). Valid files written by
// io.encode() are mutated (truncations, bit flips, header lies about offsets, sizes, dtypes and
// shapes, overlapping ranges, huge or non-JSON headers, duplicate keys, huge declared shapes)
// and handed to io.decode(); each must give a CheckpointError, or load exactly what its bytes
// say (a harmless mutation, checked against an independent reading of the file), without
// leaking a tensor and without holding more tensor bytes than the file has.

import { rng } from './rng.mjs';

/** A few valid files to mutate: F32 and I32 tensors of several ranks (one empty), metadata. */
export async function baseFiles(rk) {
  const specs = [
    { tensors: { w: rk.tensor([1.5, -2, 3.25, 4, 0, -0.5], { shape: [2, 3] }) }, metadata: { step: '7' } },
    {
      tensors: {
        'layer.weight_ih_l0': rk.tensor(Array.from({ length: 24 }, (_, i) => i / 7 - 1), { shape: [8, 3] }),
        'layer.bias': rk.tensor([0.25, 0.5, 0.75, 1], { shape: [4] }),
        ids: rk.tensor(new Int32Array([3, -1, 7, 2147483647, -2147483648])),
        empty: rk.tensor([], { shape: [0, 4] }),
        scalar: rk.tensor(42),
      },
      metadata: { 'rnnkit.format': '1', config: '{"hiddenSize":4}' },
    },
    { tensors: { a: rk.tensor(new Int32Array([1, 2, 3, 4]), { shape: [2, 2] }), b: rk.tensor([9], { shape: [1, 1, 1] }) } },
  ];
  const files = [];
  for (const spec of specs) {
    files.push(await rk.io.encode(spec.tensors, spec.metadata));
    for (const t of Object.values(spec.tensors)) t.dispose();
  }
  return files;
}

const enc = new TextEncoder();

/** The header JSON text and where the data starts, or null when the length field is unusable. */
function split(bytes) {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  return { json: new TextDecoder().decode(bytes.subarray(8, 8 + n)), data: bytes.subarray(8 + n) };
}

/** A file from a header text and a data buffer (header length set to the text's byte length). */
function join(json, data, lengthOverride) {
  const head = enc.encode(json);
  const out = new Uint8Array(8 + head.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(head.length), true);
  out.set(head, 8);
  out.set(data, 8 + head.length);
  return out;
}

const HUGE = [2 ** 31, 2 ** 32, 2 ** 48, 2 ** 53, 2 ** 53 + 2, 1e300, -1, 1.5, '4', null, [2], {}];
const DTYPES = ['F16', 'BF16', 'F64', 'I64', 'U8', 'BOOL', 'F8_E4M3', 'f32', 'F32 ', '', 'XYZ', 32, null];

/** Each mutation: (bytes, r) → new bytes. Header-level ones edit the parsed header and re-join. */
const MUTATIONS = {
  truncate: (b, r) => b.subarray(0, r.int(b.length)),
  truncateHeader: (b, r) => b.subarray(0, r.int(Math.min(b.length, 40))),
  bitFlip: (b, r) => flip(b, r, 1 + r.int(3), 0, b.length),
  bitFlipHeader: (b, r) => flip(b, r, 1, 0, Math.min(b.length, 8 + Number(split(b).json.length))),
  bitFlipData: (b, r) => flip(b, r, 1 + r.int(4), b.length - split(b).data.length, b.length),
  byteSet: (b, r) => { const c = b.slice(); c[r.int(c.length)] = r.pick([0, 0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0xff, 0xc3, 0x80]); return c; },
  lengthLie: (b, r) => { const c = b.slice(); new DataView(c.buffer).setBigUint64(0, r.pick([0n, 1n, 7n, 2n ** 63n, 2n ** 64n - 1n, 100000001n, 99999999n, BigInt(c.length), BigInt(c.length - 8), BigInt(c.length - 7), BigInt(split(b).json.length + 1 + r.int(16)), BigInt(Math.max(0, split(b).json.length - 1 - r.int(16)))]), true); return c; },
  appendBytes: (b, r) => { const c = new Uint8Array(b.length + 1 + r.int(16)); c.set(b); return c; },
  insertBytes: (b, r) => { const at = r.int(b.length); const extra = 1 + r.int(8); const c = new Uint8Array(b.length + extra); c.set(b.subarray(0, at)); c.set(b.subarray(at), at + extra); return c; },
  offsets: (b, r) => editEntry(b, r, (e) => { e.data_offsets = [r.pick([e.data_offsets[0], e.data_offsets[0] + r.int(9) - 4, -4, 2 ** 53, 1e300, 0.5, '0', null]), r.pick([e.data_offsets[1], e.data_offsets[1] + r.int(9) - 4, 2 ** 64, -1, 2 ** 53 + 1, '8'])]; }),
  offsetsSwap: (b, r) => editEntry(b, r, (e) => { e.data_offsets = [e.data_offsets[1], e.data_offsets[0]]; }),
  offsetsShape: (b, r) => editEntry(b, r, (e) => { e.data_offsets = r.pick([[0], [0, 4, 8], 'x', null, { a: 1 }, []]); }),
  overlap: (b, r) => editHeader(b, r, (h, names) => { if (names.length < 2) return; const [x, y] = [r.pick(names), r.pick(names)]; h[y].data_offsets = [h[x].data_offsets[0], h[x].data_offsets[0] + (h[y].data_offsets[1] - h[y].data_offsets[0])]; }),
  dtype: (b, r) => editEntry(b, r, (e) => { e.dtype = r.pick(DTYPES); }),
  dtypeSwap: (b, r) => editEntry(b, r, (e) => { e.dtype = e.dtype === 'F32' ? 'I32' : 'F32'; }),
  shape: (b, r) => editEntry(b, r, (e) => { const s = Array.isArray(e.shape) ? e.shape.slice() : []; s[r.int(s.length + 1)] = r.pick(HUGE); e.shape = s; }),
  shapeReshape: (b, r) => editEntry(b, r, (e) => { const n = e.shape.reduce((p, d) => p * d, 1); e.shape = r.pick([[n], [1, n], [n, 1, 1], [], [0], [n + 1], [2 ** 26, 2 ** 26], Array(64).fill(1), 'x', null, {}]); }),
  hugeShape: (b, r) => editEntry(b, r, (e) => { e.shape = [r.pick([2 ** 24, 2 ** 30, 2 ** 40]), r.pick([2 ** 24, 2 ** 30, 2 ** 40])]; e.data_offsets = [e.data_offsets[0], r.pick([2 ** 53 - 1, 2 ** 50, e.data_offsets[1]])]; }),
  dropField: (b, r) => editEntry(b, r, (e) => { delete e[r.pick(['dtype', 'shape', 'data_offsets'])]; }),
  extraField: (b, r) => editEntry(b, r, (e) => { e[r.pick(['extra', 'dtype2', '__proto__'])] = r.pick([1, 'x', [], null]); }),
  entryType: (b, r) => editHeader(b, r, (h, names) => { h[r.pick(names)] = r.pick([null, 1, 'F32', [], true]); }),
  dropEntry: (b, r) => editHeader(b, r, (h, names) => { delete h[r.pick(names)]; }),
  metadata: (b, r) => editHeader(b, r, (h) => { h.__metadata__ = r.pick([null, 1, 'x', [], { a: 1 }, { a: null }, { a: { b: 'c' } }, { 'rnnkit.format': '2' }, { '': '' }]); }),
  renameEntry: (b, r) => editHeader(b, r, (h, names) => { const n = r.pick(names); const v = h[n]; delete h[n]; h[r.pick(['', '__metadata__', 'optim.', '\u0000', 'a'.repeat(300), '__proto__', 'constructor'])] = v; }),
  duplicateKey: (b, r) => { const { json, data } = split(b); const m = /"([^"]+)":(\{[^}]*\})/.exec(json.slice(1)); if (!m) return b; const dup = `"${m[1]}":${r.pick([m[2], '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}', 'null'])}`; return join(`{${dup},${json.slice(1)}`, data); },
  nonJson: (b, r) => { const { data } = split(b); return join(r.pick(['', ' ', 'null', '[]', '1', '"x"', 'true', '{', '{"a":', '{"a":1,}', "{'a':1}", 'NaN', '{"a":NaN}', '\ufeff{}', '{}\u0000', '[' .repeat(5000) + ']'.repeat(5000), '{"a":' + '['.repeat(100000)]), data); },
  invalidUtf8: (b) => { const { json, data } = split(b); const head = enc.encode(json); const c = new Uint8Array(8 + head.length + 2 + data.length); new DataView(c.buffer).setBigUint64(0, BigInt(head.length + 2), true); c.set(head, 8); c.set([0xc3, 0x28], 8 + head.length); c.set(data, 10 + head.length); return c; },
  hugeHeader: (b, r) => { const { data } = split(b); const n = r.pick([1000, 4000, 16000]); const entries = Array.from({ length: n }, (_, i) => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`); return join(`{${entries.join(',')}}`, data); },
  manyEmpty: (b, r) => { const n = 1 + r.int(2000); const entries = Array.from({ length: n }, (_, i) => `"e${i}":{"dtype":"I32","shape":[${r.pick([0, '0,5', '3,0'])}],"data_offsets":[0,0]}`); return join(`{${entries.join(',')}}`, new Uint8Array(0)); },
  deepShape: (b, r) => editEntry(b, r, (e) => { const n = e.shape.reduce((p, d) => p * d, 1); e.shape = [n, ...Array(r.pick([100, 10000])).fill(1)]; }),
  empty: () => new Uint8Array(0),
};

function flip(b, r, count, lo, hi) {
  const c = b.slice();
  if (hi <= lo) return c;
  for (let i = 0; i < count; i++) {
    const at = lo + r.int(hi - lo);
    c[at] ^= 1 << r.int(8);
  }
  return c;
}

/** Parses the header (must be valid: mutations start from valid files), edits it, re-joins. */
function editHeader(b, r, edit) {
  const { json, data } = split(b);
  const header = JSON.parse(json);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  if (names.length === 0) return b;
  edit(header, names);
  return join(JSON.stringify(header), data);
}

function editEntry(b, r, edit) {
  return editHeader(b, r, (h, names) => edit(h[r.pick(names)]));
}

export const MUTATION_KINDS = Object.keys(MUTATIONS);

/** One mutated file: a random base, one to three mutations. */
export function mutate(bases, r) {
  let bytes = r.pick(bases);
  const kinds = [];
  const steps = 1 + (r() < 0.25 ? 1 + r.int(2) : 0);
  for (let i = 0; i < steps; i++) {
    const kind = r.pick(MUTATION_KINDS);
    try {
      bytes = MUTATIONS[kind](bytes, r);
    } catch {
      // A header-level mutation after a byte-level one may find no valid header: skip it.
      continue;
    }
    kinds.push(kind);
  }
  return { bytes, kinds };
}

/**
 * What a correct reader must load from bytes, read independently of rnnkit (plain JSON.parse and
 * DataView), or null when the bytes are not a file rnnkit should accept. Only used to check files
 * io.decode() accepted, so it may be lenient where decode() is strict.
 */
export function expectedContents(bytes) {
  if (bytes.length < 8) return null;
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  if (n > bytes.length - 8) return null;
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const dataStart = bytes.byteOffset + 8 + n;
  const tensors = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = e.data_offsets;
    const view = new DataView(bytes.buffer, dataStart + begin, end - begin);
    const count = (end - begin) / 4;
    const bits = new Uint32Array(count);
    for (let i = 0; i < count; i++) bits[i] = view.getUint32(4 * i, true);
    tensors[name] = { dtype: e.dtype === 'F32' ? 'float32' : 'int32', shape: e.shape, bits };
  }
  return { tensors, metadata: header.__metadata__ ?? {} };
}

/**
 * Decodes every file of `count` mutations (seeded) with rk.io.decode and checks the outcome.
 * Returns counts by outcome (CheckpointError, loaded = harmless and verified) and by mutation,
 * and the findings: any other error, a loaded file whose values differ from its bytes, a leaked
 * tensor, or tensor bytes beyond the file's size.
 */
export async function runHostile(rk, { count, seed, bases, onProgress }) {
  const r = rng(seed);
  const outcomes = { CheckpointError: 0, loaded: 0 };
  const byKind = {};
  const findings = [];
  let largest = 0;
  const baseline = rk.memory().tensors;
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const { bytes, kinds } = mutate(bases, r);
    largest = Math.max(largest, bytes.length);
    const label = kinds.join('+') || 'none';
    let outcome;
    let decoded = null;
    const before = rk.memory();
    try {
      decoded = rk.io.decode(bytes, { file: `mutant-${i}` });
      outcome = 'loaded';
      const problem = checkLoaded(rk, bytes, decoded, before);
      if (problem) findings.push({ i, kinds: label, problem });
    } catch (err) {
      outcome = err instanceof rk.CheckpointError ? 'CheckpointError' : `other: ${err?.constructor?.name}`;
      if (!(err instanceof rk.CheckpointError)) findings.push({ i, kinds: label, problem: `${err?.constructor?.name}: ${err?.message}`.slice(0, 300) });
    } finally {
      if (decoded) for (const t of Object.values(decoded.tensors)) t.dispose();
    }
    if (rk.memory().tensors !== baseline) {
      findings.push({ i, kinds: label, problem: `${rk.memory().tensors - baseline} tensor(s) left alive after ${outcome}` });
    }
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    const ms = performance.now() - started;
    for (const k of kinds) {
      byKind[k] ??= { CheckpointError: 0, loaded: 0, ms: 0 };
      byKind[k][outcome] = (byKind[k][outcome] ?? 0) + 1;
      byKind[k].ms += ms;
    }
    if ((i + 1) % 1000 === 0) onProgress?.(i + 1);
  }
  return { count, seed, outcomes, byKind, findings, largest };
}

/** Why a file decode() accepted is wrong, or null: values, shapes, dtypes, metadata, memory. */
function checkLoaded(rk, bytes, decoded, before) {
  let expected;
  try {
    expected = expectedContents(bytes);
  } catch (err) {
    return `decode() accepted a file whose header does not parse: ${err.message}`;
  }
  if (expected === null) return 'decode() accepted a file whose header length does not fit';
  const names = Object.keys(expected.tensors).sort();
  const got = Object.keys(decoded.tensors).sort();
  if (names.join('\u0000') !== got.join('\u0000')) return `names ${JSON.stringify(got)} differ from the header's ${JSON.stringify(names)}`;
  let tensorBytes = 0;
  for (const name of names) {
    const e = expected.tensors[name];
    const t = decoded.tensors[name];
    if (t.dtype !== e.dtype) return `tensor '${name}': dtype ${t.dtype}, header says ${e.dtype}`;
    if (t.shape.join() !== e.shape.join()) return `tensor '${name}': shape [${t.shape}], header says [${e.shape}]`;
    const values = t.dataSync();
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    if (bits.length !== e.bits.length || bits.some((v, k) => v !== e.bits[k])) return `tensor '${name}': values differ from the file's bytes`;
    tensorBytes += values.byteLength;
  }
  if (JSON.stringify(decoded.metadata) !== JSON.stringify(expected.metadata)) return `metadata ${JSON.stringify(decoded.metadata)} differs from the header's`;
  const grown = rk.memory().bytes - before.bytes;
  if (tensorBytes > bytes.length || grown > bytes.length) return `holds ${Math.max(tensorBytes, grown)} tensor bytes for a ${bytes.length}-byte file`;
  return null;
}

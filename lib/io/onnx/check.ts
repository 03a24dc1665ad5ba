// Checks a written model by reading its bytes back: the decoded graph must have the nodes and
// initializers that were written, every node's inputs must be defined before it runs (graph
// inputs, initializers, earlier nodes' outputs), every graph output must be produced, and each
// initializer's raw data must hold exactly its dims' elements. A failure is a bug in the exporter,
// reported as an ExportError rather than left for a runtime to find.

import { ExportError } from '../../errors.js';
import { decodeModel, ELEM_BYTES, ELEM_TYPES, type GraphProto, type ValueInfoProto } from './proto.js';
import type { ElemType, OnnxValueInfo } from './types.js';

function fail(problem: string): never {
  throw new ExportError(`io.exportOnnx: the encoded model does not check (an exporter bug): ${problem}`);
}

const list = <T>(a: T[] | null | undefined): T[] => a ?? [];
const signature = (n: { opType?: string | null; input?: string[] | null; output?: string[] | null }) =>
  `${n.opType}(${list(n.input).join(',')})->${list(n.output).join(',')}`;
const DTYPES = new Map(Object.entries(ELEM_TYPES).map(([name, code]) => [code as number, name as ElemType]));

function described(v: ValueInfoProto): OnnxValueInfo {
  const t = v.type?.tensorType;
  const dtype = DTYPES.get(t?.elemType ?? -1) ?? fail(`${v.name} has element type ${t?.elemType}`);
  return { name: v.name ?? '', dtype, dims: list(t?.shape?.dim).map((d) => d.dimParam || Number(d.dimValue)) };
}

/** Decodes and checks `bytes` against the graph written; returns the graph's inputs and outputs as read. */
export function checkEncoded(bytes: Uint8Array, written: GraphProto): { inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[] } {
  const graph = decodeModel(bytes).graph ?? fail('no graph');
  const nodes = list(graph.node);
  const writtenNodes = list(written.node).map(signature);
  const differs = nodes.findIndex((n, i) => signature(n) !== writtenNodes[i]);
  if (nodes.length !== writtenNodes.length || differs >= 0) fail(`node ${differs} of ${nodes.length} does not read back as written`);
  const initializers = list(graph.initializer);
  if (initializers.length !== list(written.initializer).length) fail('initializers lost');
  const defined = new Set<string>(['']); // '' is an omitted optional input
  for (const v of list(graph.input)) defined.add(v.name ?? '');
  for (const t of initializers) {
    const dims = list(t.dims).map(Number);
    const bytesWanted = dims.reduce((n, d) => n * d, 1) * (ELEM_BYTES[t.dataType ?? -1] ?? NaN);
    if (t.rawData?.length !== bytesWanted) fail(`initializer ${t.name} holds ${t.rawData?.length} bytes for dims [${dims.join(', ')}]`);
    defined.add(t.name ?? '');
  }
  for (const n of nodes) {
    const missing = list(n.input).find((i) => !defined.has(i));
    if (missing !== undefined) fail(`${n.opType} node reads ${missing} before it is defined`);
    for (const o of list(n.output)) {
      if (defined.has(o)) fail(`${o} is defined twice`);
      defined.add(o);
    }
  }
  const outputs = list(graph.output);
  const lost = outputs.find((o) => !defined.has(o.name ?? ''));
  if (lost !== undefined) fail(`output ${lost.name} is never produced`);
  return { inputs: list(graph.input).map(described), outputs: outputs.map(described) };
}

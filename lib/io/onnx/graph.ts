// The graph builder: collects an ONNX graph's inputs, outputs, initializers and nodes as ONNX's
// protobuf messages, names every intermediate value uniquely, and keeps each value's dims (a
// number, or the name of a symbolic axis such as 'batch') so the graph's outputs can declare
// their shapes. The layer emitters (recurrent.ts, layers.ts, pooling.ts) build on it.

import { ELEM_TYPES, type AttributeProto, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';
import type { Dim, ElemType } from './types.js';
import { onnx } from './proto.js';

/** A value of the graph: its name and dims. */
export interface Value {
  readonly name: string;
  readonly dims: readonly Dim[];
}

/** An attribute of a node, typed as ONNX types it (1 is an INT, { float: 1 } a FLOAT). */
export type Attr = number | string | { float: number } | { ints: readonly number[] } | { strings: readonly string[] };

const A = onnx.AttributeProto.AttributeType;

function attribute(name: string, value: Attr): AttributeProto {
  if (typeof value === 'number') return { name, type: A.INT, i: value };
  if (typeof value === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(value) };
  if ('float' in value) return { name, type: A.FLOAT, f: value.float };
  if ('ints' in value) return { name, type: A.INTS, ints: [...value.ints] };
  return { name, type: A.STRINGS, strings: value.strings.map((s) => new TextEncoder().encode(s)) };
}

function valueInfo(name: string, type: ElemType, dims: readonly Dim[]): ValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: ELEM_TYPES[type], shape: { dim } } } };
}

/** The bytes of a typed array as ONNX's raw_data wants them: little-endian, as x86 and ARM hold them. */
function rawBytes(data: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class GraphBuilder {
  readonly opset: number;
  readonly #nodes: NodeProto[] = [];
  readonly #initializers: TensorProto[] = [];
  readonly #inputs: ValueInfoProto[] = [];
  readonly #outputs: ValueInfoProto[] = [];
  readonly #used = new Set<string>();
  #counter = 0;

  constructor(opset: number) {
    this.opset = opset;
  }

  /** A name not used yet: `base`, else `base_N`. */
  #fresh(base: string): string {
    let name = base;
    while (this.#used.has(name)) name = `${base}_${++this.#counter}`;
    this.#used.add(name);
    return name;
  }

  input(name: string, type: ElemType, dims: readonly Dim[]): Value {
    const unique = this.#fresh(name);
    this.#inputs.push(valueInfo(unique, type, dims));
    return { name: unique, dims };
  }

  /** Declares `value` as the graph output `name` (an Identity node gives it that name). */
  output(name: string, type: ElemType, value: Value): void {
    const [out] = this.node('Identity', [value.name], {}, 1, name);
    this.#outputs.push(valueInfo(out!, type, value.dims));
  }

  /** A constant tensor (an initializer); its name starts with `name`. */
  initializer(name: string, data: Float32Array | Int32Array | BigInt64Array, dims: readonly number[]): Value {
    const type: ElemType = data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : 'int64';
    const unique = this.#fresh(name);
    this.#initializers.push({ name: unique, dims: [...dims], dataType: ELEM_TYPES[type], rawData: rawBytes(data) });
    return { name: unique, dims };
  }

  /** A 1-D int64 constant (shapes, axes, slice bounds). */
  ints(values: readonly number[]): string {
    return this.initializer('const', BigInt64Array.from(values, BigInt), [values.length]).name;
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    return this.initializer('const', Float32Array.of(value), []).name;
  }

  /**
   * Adds a node; returns its `outputs` output names (fresh names from `name`, default the op's).
   * An empty input name is an omitted optional input.
   */
  node(op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, outputs = 1, name = op.toLowerCase()): string[] {
    const outs = Array.from({ length: outputs }, () => this.#fresh(name));
    // Trailing omitted inputs are left out altogether, as ONNX's own exporters write them.
    const ins = [...inputs];
    while (ins.length > 0 && ins.at(-1) === '') ins.pop();
    const attribute_ = Object.entries(attrs).map(([k, v]) => attribute(k, v));
    this.#nodes.push({ opType: op, input: ins, output: outs, attribute: attribute_ });
    return outs;
  }

  /** A one-output node as a Value of the given dims. */
  value(op: string, inputs: readonly string[], dims: readonly Dim[], attrs: Record<string, Attr> = {}): Value {
    return { name: this.node(op, inputs, attrs)[0]!, dims };
  }

  graph(name: string): GraphProto {
    return { name, node: this.#nodes, initializer: this.#initializers, input: this.#inputs, output: this.#outputs };
  }
}

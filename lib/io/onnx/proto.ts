// ONNX's protobuf messages, from the onnx-proto package (ONNX's own onnx.proto compiled with
// protobufjs): the one place that imports it. encodeModel() and decodeModel() turn a ModelProto
// into bytes and back.

import onnxProto from 'onnx-proto';
import type { ElemType } from './types.js';

export const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.IModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

/** The element types of rnnkit's graph inputs, outputs and initializers, by ONNX's TensorProto.DataType numbers. */
export const ELEM_TYPES: Readonly<Record<ElemType, number>> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

/** Bytes per element of an initializer's raw_data, by data type number. */
export const ELEM_BYTES: Readonly<Record<number, number>> = {
  [ELEM_TYPES.float32]: 4,
  [ELEM_TYPES.int32]: 4,
  [ELEM_TYPES.int64]: 8,
};

/** Serialises a model; a string saying what is wrong when protobufjs' verify() finds a field of the wrong type. */
export function encodeModel(model: ModelProto): Uint8Array | string {
  const problem = onnx.ModelProto.verify(model);
  if (problem !== null) return problem;
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

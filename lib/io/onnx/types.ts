// The types io.exportOnnx shows its callers. They live apart from the exporter because the
// package's .d.ts must not reach onnx-proto's declarations (which do not compile with
// skipLibCheck: false: they name protobufjs' Long without importing it).

/** A dimension: its size, or the name of a symbolic axis. */
export type Dim = number | string;

/** The element types of the graph's inputs, outputs and initializers. */
export type ElemType = 'float32' | 'int32' | 'int64';

/** A graph input or output as read back: its name, element type and dims (sizes or axis names). */
export interface OnnxValueInfo {
  name: string;
  dtype: ElemType;
  dims: Dim[];
}

/** What exportOnnx() wrote. */
export interface OnnxExportInfo {
  path: string;
  bytes: number;
  opset: number;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

// io.exportOnnx's options, checked: every mistake is an ArgumentError naming the option.

import { checkBoolean, checkInteger, checkOptions } from '../../args.js';
import { describe } from '../../dtype.js';
import { ArgumentError } from '../../errors.js';
import type { Dim } from './types.js';

export interface ExportOnnxOptions {
  /**
   * The ONNX opset (default 17, the first with LayerNormalization; 17..21; the tests run 17, 18
   * and 21 in onnxruntime 1.30).
   */
  opset?: number;
  /**
   * The batch and time axes of the inputs and outputs: a name makes the axis symbolic (any size;
   * default 'batch' and 'time'), a positive integer fixes its size.
   */
  dynamicAxes?: { batch?: string | number; time?: string | number };
  /**
   * Inputs h0 (and c0 for an LSTM) [numLayers * directions, batch, hiddenSize] for the initial
   * state, so a decoder can feed each step's h_n / c_n back (a LanguageModel or a bare recurrent
   * layer; default false: a zero initial state).
   */
  stateInputs?: boolean;
}

export const OPSETS = { min: 17, max: 21, default: 17 } as const;

/** The IR version each opset came with (ONNX 1.12-1.16), the lowest a runtime must read. */
export function irVersion(opset: number): number {
  return opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
}

export interface CheckedOptions {
  opset: number;
  batch: Dim;
  time: Dim;
  stateInputs: boolean;
}

function axis(op: string, arg: string, value: unknown, fallback: string): Dim {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return value;
  throw new ArgumentError(`${op}: ${arg} must be an axis name (letters, digits, _) or a positive integer size, got ${describe(value)}`);
}

export function checkExportOptions(op: string, options: unknown): CheckedOptions {
  const o = checkOptions(op, options, ['opset', 'dynamicAxes', 'stateInputs'] as const);
  const opset = checkInteger(op, 'options.opset', o.opset ?? OPSETS.default);
  if (opset < OPSETS.min || opset > OPSETS.max) throw new ArgumentError(`${op}: options.opset must be in ${OPSETS.min}..${OPSETS.max}, got ${opset}`);
  const axes = checkOptions(`${op}: options.dynamicAxes`, o.dynamicAxes, ['batch', 'time'] as const);
  const batch = axis(op, 'options.dynamicAxes.batch', axes.batch, 'batch');
  const time = axis(op, 'options.dynamicAxes.time', axes.time, 'time');
  if (batch === time && typeof batch === 'string') throw new ArgumentError(`${op}: options.dynamicAxes gives batch and time the same name '${batch}' (that would declare them equal)`);
  return { opset, batch, time, stateInputs: checkBoolean(op, 'options.stateInputs', o.stateInputs ?? false) };
}

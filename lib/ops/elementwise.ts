// Elementwise ops: binary with broadcasting (add, sub, mul, div; a number stands for a scalar
// tensor) and unary math, each with its backward.

import { record, type Float } from '../autograd.js';
import type { BinaryOp, UnaryOp } from '../binding.js';
import { describe, type DType } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { checkSameDevice, handle, nativeOp } from './call.js';
import { scalarLike } from './creation.js';
import { sumTo } from './reduce.js';

function operand<D extends DType>(op: string, arg: string, value: Tensor<D> | number, other: unknown): Tensor<D> {
  if (value instanceof Tensor) return value;
  if (typeof value === 'number' && other instanceof Tensor) return scalarLike(op, arg, value, other as Tensor<D>);
  throw new ArgumentError(`${op}: ${arg} must be a Tensor${other instanceof Tensor ? ' or a number' : ''}, got ${describe(value)}`);
}

/** Gradients of a binary op given dL/da and dL/db at the broadcast shape. */
type BinaryGrads = (g: Float, a: Float, b: Float) => [Float, Float];

const binaryGrads: Record<BinaryOp, BinaryGrads> = {
  add: (g) => [g, g],
  sub: (g) => [g, neg(g)],
  mul: (g, a, b) => [mul(g, b), mul(g, a)],
  // d(a/b)/db = -a/b² = -(a/b)/b
  div: (g, a, b) => {
    const ga = div(g, b);
    const q = div(ga, b);
    const gb = mul(q, a);
    q.dispose();
    const ngb = neg(gb);
    gb.dispose();
    return [ga, ngb];
  },
};

function binary<D extends DType>(op: BinaryOp, a: Tensor<D> | number, b: Tensor<D> | number): Tensor<D> {
  const ta = operand(op, 'a', a, b);
  const tb = operand(op, 'b', b, a);
  try {
    // Inside the try: a disposed operand must not leak the scalar made for the other one.
    const ha = handle(op, 'a', ta);
    const hb = handle(op, 'b', tb);
    checkSameDevice(op, [['a', ta], ['b', tb]]);
    const out = nativeOp<D>((n) => n.binary(op, ha, hb));
    const aShape = ta.shape;
    const bShape = tb.shape;
    return record(op, out, [ta, tb], op === 'mul' || op === 'div' ? [ta, tb] : [], (g, saved) => {
      const [ga, gb] = binaryGrads[op](g, saved[0] as Float, saved[1] as Float);
      const result = [sumTo(ga, aShape), sumTo(gb, bShape)];
      if (ga !== g) ga.dispose();
      if (gb !== g) gb.dispose();
      return result;
    });
  } finally {
    if (ta !== a) ta.dispose();
    if (tb !== b) tb.dispose();
  }
}

export const add = <D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<D> => binary('add', a, b);
export const sub = <D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<D> => binary('sub', a, b);
export const mul = <D extends DType>(a: Tensor<D> | number, b: Tensor<D> | number): Tensor<D> => binary('mul', a, b);
/** True division; float32 only. */
export const div = (a: Tensor<'float32'> | number, b: Tensor<'float32'> | number): Tensor<'float32'> => binary('div', a, b);

/** Unary ops whose backward needs the forward output rather than the input. */
const SAVES_OUTPUT: ReadonlySet<UnaryOp> = new Set(['tanh', 'sigmoid', 'exp']);

function unary<D extends DType>(op: UnaryOp, x: Tensor<D>): Tensor<D> {
  const h = handle(op, 'x', x);
  const out = nativeOp<D>((n) => n.unary(op, h));
  return record(op, out, [x], [SAVES_OUTPUT.has(op) ? out : x], (g, saved) => {
    const hg = handle(`${op}.backward`, 'grad', g);
    const hs = handle(`${op}.backward`, 'saved', saved[0]);
    return [nativeOp((n) => n.unaryBackward(op, hg, hs))];
  });
}

export const neg = <D extends DType>(x: Tensor<D>): Tensor<D> => unary('neg', x);
export const tanh = (x: Tensor<'float32'>): Tensor<'float32'> => unary('tanh', x);
export const sigmoid = (x: Tensor<'float32'>): Tensor<'float32'> => unary('sigmoid', x);
export const relu = (x: Tensor<'float32'>): Tensor<'float32'> => unary('relu', x);
export const exp = (x: Tensor<'float32'>): Tensor<'float32'> => unary('exp', x);
/** Natural logarithm. */
export const log = (x: Tensor<'float32'>): Tensor<'float32'> => unary('log', x);

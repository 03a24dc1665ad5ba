// Checks for non-tensor arguments (axes, sizes, integers, options), shared by every op so each
// bad value gets the same clear message: op, argument, expected, got.

import { describe } from './dtype.js';
import { ArgumentError } from './errors.js';

export function checkInteger(op: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ArgumentError(`${op}: ${arg} must be a finite integer, got ${describe(value)}`);
  }
  return value;
}

export function checkNonNegativeInteger(op: string, arg: string, value: unknown): number {
  const n = checkInteger(op, arg, value);
  if (n < 0) throw new ArgumentError(`${op}: ${arg} must be >= 0, got ${n}`);
  return n;
}

export function checkFinite(op: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ArgumentError(`${op}: ${arg} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

/** True when a typed array's buffer was transferred away (structuredClone / postMessage transfer). */
export function isDetached(view: ArrayBufferView): boolean {
  if (view.byteLength !== 0) return false;
  try {
    new Uint8Array(view.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/** A shape: an array of non-negative integers. */
export function checkShape(op: string, arg: string, value: unknown): number[] {
  if (!Array.isArray(value)) {
    throw new ArgumentError(`${op}: ${arg} must be an array of sizes, got ${describe(value)}`);
  }
  return value.map((d, i) => checkNonNegativeInteger(op, `${arg}[${i}]`, d));
}

/** An axis in [-rank, rank), returned normalised to [0, rank). */
export function checkAxis(op: string, arg: string, value: unknown, rank: number): number {
  const axis = checkInteger(op, arg, value);
  if (axis < -rank || axis >= rank) {
    throw new ArgumentError(`${op}: ${arg} ${axis} is out of range for a tensor of rank ${rank} (expected ${-rank}..${rank - 1})`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** A list of distinct axes, each normalised. */
export function checkAxes(op: string, arg: string, value: unknown, rank: number): number[] {
  if (!Array.isArray(value)) {
    throw new ArgumentError(`${op}: ${arg} must be an axis or an array of axes, got ${describe(value)}`);
  }
  const axes = value.map((a, i) => checkAxis(op, `${arg}[${i}]`, a, rank));
  if (new Set(axes).size !== axes.length) {
    throw new ArgumentError(`${op}: ${arg} repeats an axis: [${value.join(', ')}]`);
  }
  return axes;
}

export function checkOneOf<T extends string>(op: string, arg: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ArgumentError(`${op}: ${arg} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`);
}

export function checkBoolean(op: string, arg: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ArgumentError(`${op}: ${arg} must be true or false, got ${describe(value)}`);
  return value;
}

/** Options objects: rejects unknown keys (a typo must not be silently ignored). */
export function checkOptions<K extends string>(
  op: string,
  value: unknown,
  known: readonly K[],
): Partial<Record<K, unknown>> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ArgumentError(`${op}: options must be an object, got ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new ArgumentError(`${op}: unknown option '${key}' (known: ${known.join(', ')})`);
    }
  }
  return value as Partial<Record<K, unknown>>;
}

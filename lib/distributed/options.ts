// The options the distributed pieces share (init, TcpStore.serve/connect, GlooGroup.create),
// checked in one place: each bad value is an ArgumentError naming the option and what it takes.

import { checkOptions } from '../args.js';
import { describe } from '../dtype.js';
import { ArgumentError } from '../errors.js';

/** setTimeout's longest delay (about 24.8 days): a longer one would fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The options object of `op` with only the `known` keys; a missing one is an ArgumentError. */
export function requiredOptions<K extends string>(op: string, value: unknown, known: readonly K[], required: string): Partial<Record<K, unknown>> {
  if (value === undefined || value === null) throw new ArgumentError(`${op}: options { ${required} } are required, got ${describe(value)}`);
  return checkOptions(op, value, known);
}

export function checkTimeoutMs(op: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMEOUT_MS) {
    throw new ArgumentError(`${op}: options.timeoutMs must be a number of milliseconds in (0, ${MAX_TIMEOUT_MS}], got ${describe(value)}`);
  }
  return value;
}

/** A TCP port in min..65535 (min 0 lets the system pick a free one). */
export function checkPort(op: string, value: unknown, min: 0 | 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 65535) {
    throw new ArgumentError(`${op}: options.port must be an integer in ${min}..65535${min === 0 ? ' (0: any free port)' : ''}, got ${describe(value)}`);
  }
  return value;
}

export function checkHost(op: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ArgumentError(`${op}: options.host must be a host name or IP address, got ${describe(value)}`);
  return value;
}

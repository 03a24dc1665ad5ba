// Parameter groups, as torch.optim has them: an optimizer takes either a list of parameters (one
// group) or a list of { params, ...options } groups, where each group's options override the
// constructor's (the defaults). This file turns either form into checked groups: each parameter
// once, every key known, and for every option the argument it came from, so a bad value is
// named where the user wrote it (params[1].lr or options.lr).

import { describe } from '../dtype.js';
import { ArgumentError, DisposedError, DTypeError } from '../errors.js';
import type { Parameter } from '../nn/module.js';
import { Tensor } from '../tensor.js';

/** A value of a hyperparameter: a number, a flag, or a pair (Adam's betas). */
export type OptionValue = number | boolean | readonly number[];

/** One group's hyperparameters, every option with its value (lr included). */
export type GroupOptions = { readonly lr: number } & Readonly<Record<string, OptionValue>>;

/** A parameter group as an optimizer's constructor takes it: its parameters and any options of its own. */
export type ParamGroupSpec<O> = { params: Iterable<Parameter> } & Partial<O>;

/**
 * A live parameter group (optimizer.paramGroups[g]): its parameters, its learning rate (set it to
 * change the next steps of this group; schedules do) and its other hyperparameters (read-only:
 * setting one is an ArgumentError).
 */
export type ParamGroup<O extends GroupOptions> = { readonly params: readonly Parameter[]; lr: number } & Readonly<Omit<O, 'lr'>>;

/** A group in an optimizer's stateDict(): its hyperparameters and the indices (into optimizer.params) of its parameters. */
export type ParamGroupState = { readonly params: readonly number[] } & Readonly<Record<string, OptionValue>>;

/** Checks a group's merged options; `arg(key)` is where the value of key came from, for messages. */
export type ResolveOptions<O> = (op: string, arg: (key: string) => string, options: Readonly<Record<string, unknown>>) => O;

/** A group as the constructor gave it: its parameters and its options merged over the defaults. */
export interface ParsedGroup {
  readonly params: Parameter[];
  readonly options: Record<string, unknown>;
  /** Where each option came from: `params[g].key` for the group's own, `options.key` for a default. */
  readonly arg: (key: string) => string;
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    !(value instanceof Tensor) &&
    !ArrayBuffer.isView(value) &&
    typeof value === 'object' &&
    value !== null &&
    Symbol.iterator in value
  );
}

/** A parameter: a live float32 tensor. Frozen ones (requiresGrad false) are accepted: steps skip them. */
function checkParam(op: string, arg: string, p: unknown): Parameter {
  if (!(p instanceof Tensor)) throw new ArgumentError(`${op}: ${arg} must be a Tensor, got ${describe(p)}`);
  if (p.disposed) throw new DisposedError(`${op}: ${arg} is a disposed tensor`);
  if (p.dtype !== 'float32') throw new DTypeError(`${op}: ${arg} must be float32, got ${p.dtype}`);
  return p as Parameter;
}

/**
 * The groups of `params` (a list of tensors: one group; a list of { params, ...options }: one
 * each) with their options merged over `defaults`. ArgumentErrors name the offending argument: an
 * empty list, a group without params, an unknown key, a parameter given twice (in one group or
 * two).
 */
export function parseGroups(op: string, params: unknown, defaults: Record<string, unknown>, known: readonly string[]): ParsedGroup[] {
  if (!isIterable(params)) {
    throw new ArgumentError(`${op}: params must be an array (or iterable) of parameter tensors or of { params, ...options } groups, got ${describe(params)}`);
  }
  const list = [...params];
  if (list.length === 0) throw new ArgumentError(`${op}: params is empty; an optimizer needs at least one parameter`);
  const where = new Map<Tensor, string>();
  const take = (arg: string, p: unknown): Parameter => {
    const param = checkParam(op, arg, p);
    const first = where.get(param);
    if (first !== undefined) throw new ArgumentError(`${op}: ${arg} appears more than once (it is also ${first})`);
    where.set(param, arg);
    return param;
  };
  const defaultArg = (key: string): string => `options.${key}`;
  if (!list.some((entry) => isGroupSpec(entry))) {
    return [{ params: list.map((p, i) => take(`params[${i}]`, p)), options: defaults, arg: defaultArg }];
  }
  return list.map((entry, g) => {
    if (!isGroupSpec(entry)) {
      throw new ArgumentError(`${op}: params[${g}] must be a { params, ...options } group like the other entries, got ${describe(entry)}`);
    }
    const unknown = Object.keys(entry).filter((key) => key !== 'params' && !known.includes(key));
    if (unknown.length > 0) {
      throw new ArgumentError(`${op}: params[${g}] has unknown key '${unknown[0]}' (known: params, ${known.join(', ')})`);
    }
    if (!('params' in entry) || entry.params === undefined) throw new ArgumentError(`${op}: params[${g}] has no params (a group needs its parameters)`);
    if (!isIterable(entry.params)) {
      throw new ArgumentError(`${op}: params[${g}].params must be an array (or iterable) of parameter tensors, got ${describe(entry.params)}`);
    }
    const groupParams = [...entry.params].map((p, i) => take(`params[${g}].params[${i}]`, p));
    if (groupParams.length === 0) throw new ArgumentError(`${op}: params[${g}].params is empty; a group needs at least one parameter`);
    const own = Object.entries(entry).filter(([key, value]) => key !== 'params' && value !== undefined);
    const ownKeys = new Set(own.map(([key]) => key));
    return {
      params: groupParams,
      options: { ...defaults, ...Object.fromEntries(own) },
      arg: (key: string) => (ownKeys.has(key) ? `params[${g}].${key}` : defaultArg(key)),
    };
  });
}

/** A plain object that is not a tensor: a { params, ...options } group. */
function isGroupSpec(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !(value instanceof Tensor) && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

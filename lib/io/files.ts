// Checkpoint files: save() and load() a model's parameters, an optimizer's state and run metadata
// as one safetensors file; saveTensors() and loadTensors() for plain name → tensor files.
// Writes are atomic (see atomic.ts).

import { readFile } from 'node:fs/promises';
import { checkBoolean, checkOptions } from '../args.js';
import { checkPath, type PathLike } from '../data/files.js';
import { checkDevice, defaultDevice } from '../device.js';
import { describe, type Device } from '../dtype.js';
import { ArgumentError, CheckpointError } from '../errors.js';
import { Module } from '../nn/module.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import type { ParamGroupState } from '../optim/param-groups.js';
import { Tensor } from '../tensor.js';
import { errorText, writeAtomic } from './atomic.js';
import { decodeAs, encode, type Decoded } from './safetensors.js';

export type { PathLike };

/**
 * An optimizer's state as save() stores it: an rnnkit optimizer's { state, paramGroups } (see
 * optim.Optimizer.stateDict()), or a plain name → tensor dict from any other object.
 */
export type OptimizerState = Record<string, Tensor> | OptimizerStateDict;

/** Anything whose state is an OptimizerState (an optimizer). stateDict() entries are only read. */
export interface StateSource {
  stateDict(): OptimizerState;
}

/**
 * Anything that takes its state back (an optimizer): { state, paramGroups } when the file holds
 * parameter groups (an rnnkit optimizer wrote it), else a name → tensor dict. It must copy what
 * it keeps, as Module.loadStateDict() does: load() disposes the tensors it passed once it returns.
 */
export interface StateTarget {
  loadStateDict(state: OptimizerState): void;
}

export interface SaveOptions {
  /** Its stateDict() entries, under their names (weight_ih_l0, encoder.bias_hh_l1, ...). */
  model?: Module;
  /** More tensors, under their own names. */
  tensors?: Record<string, Tensor>;
  /**
   * Its stateDict(): an rnnkit optimizer's state tensors under `optim.state.<i>.<name>` and its
   * parameter groups in `__metadata__` (reserved key `rnnkit.optim.paramGroups`); a plain dict's
   * entries under `optim.<name>`.
   */
  optimizer?: StateSource;
  /**
   * Run metadata (step, epoch, config, ...): each value is stored JSON-encoded under its key in
   * `__metadata__`, and load() parses it back. Keys starting with `rnnkit.` are reserved.
   */
  metadata?: Record<string, unknown>;
}

export interface LoadOptions {
  /** Receives the file's tensors other than `optim.*` (see strict). */
  model?: Module;
  /**
   * Receives the `optim.*` tensors: as { state, paramGroups } (prefix `optim.state.` removed) when
   * the file holds parameter groups, else as a dict with the prefix `optim.` removed.
   */
  optimizer?: StateTarget;
  /**
   * With a model: the file's non-`optim.` names must be exactly the model's parameters (default
   * true). false loads the names the model has and leaves the others in the result.
   */
  strict?: boolean;
  /** Read F64 / I64 tensors as float32 / int32 (see decode()); default false. */
  convert64?: boolean;
  /** Where the tensors are created (default: the model's device with a model, else defaultDevice()). */
  device?: Device;
}

export interface Loaded {
  /**
   * The tensors nobody took: all of them without a model or optimizer; with a model, those it
   * does not have (strict: false), and `optim.*` ones when no optimizer was given. They are new
   * tensors owned by the caller. Tensors given to the model or optimizer are disposed by load().
   */
  tensors: Record<string, Tensor>;
  /**
   * `__metadata__` with each value parsed back from JSON (the reserved `rnnkit.*` keys left out).
   * In a file rnnkit did not write, a value that is not JSON (e.g. {"format": "pt"}) stays a string.
   */
  metadata: Record<string, unknown>;
}

export interface LoadTensorsOptions {
  convert64?: boolean;
  /** Default: defaultDevice(). */
  device?: Device;
}

/** The reserved metadata key marking an rnnkit checkpoint, and the format version written. */
export const FORMAT_KEY = 'rnnkit.format';
export const FORMAT_VERSION = '1';
export const OPTIM_PREFIX = 'optim.';
/** Where an optimizer's state tensors go under OPTIM_PREFIX, and the reserved metadata key of its parameter groups. */
const OPTIM_STATE_PREFIX = `${OPTIM_PREFIX}state.`;
const PARAM_GROUPS_KEY = 'rnnkit.optim.paramGroups';

const SAVE_OPTIONS = ['model', 'tensors', 'optimizer', 'metadata'] as const;
const LOAD_OPTIONS = ['model', 'optimizer', 'strict', 'convert64', 'device'] as const;
const LOAD_TENSORS_OPTIONS = ['convert64', 'device'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function readBytes(op: string, path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new CheckpointError(`${op}: cannot read ${path}: ${errorText(err)}`, { cause: err });
  }
}

function checkTensors(op: string, arg: string, value: unknown): Record<string, Tensor> {
  if (!isRecord(value)) throw new ArgumentError(`${op}: ${arg} must be an object of name → Tensor, got ${describe(value)}`);
  for (const [name, t] of Object.entries(value)) {
    if (!(t instanceof Tensor)) throw new ArgumentError(`${op}: ${arg}['${name}'] must be a Tensor, got ${describe(t)}`);
  }
  return value as Record<string, Tensor>;
}

/**
 * Saves a checkpoint: the model's parameters under their stateDict() names, more tensors under
 * their own names, the optimizer's state under `optim.<name>`, and metadata (each value
 * JSON-encoded) in `__metadata__` with `rnnkit.format` = "1". The values are those the tensors
 * hold when save() is called (their reads are queued at once). Atomic (see above). Bad arguments
 * are ArgumentErrors (DisposedError for a disposed tensor); a failed write is a CheckpointError.
 */
export async function save(path: PathLike, options: SaveOptions): Promise<void> {
  const op = 'io.save';
  const file = checkPath(op, path);
  if (options === undefined) throw new ArgumentError(`${op}: options { model, tensors, optimizer, metadata } are required`);
  const opts = checkOptions(op, options, SAVE_OPTIONS);
  const all: [string, Tensor][] = [];
  const origin = new Map<string, string>();
  const add = (name: string, t: Tensor, from: string): void => {
    const other = origin.get(name);
    if (other !== undefined) throw new ArgumentError(`${op}: '${name}' is both a tensor of ${other} and of ${from}`);
    origin.set(name, from);
    all.push([name, t]);
  };
  const plain = (name: string, from: string): string => {
    if (name.startsWith(OPTIM_PREFIX)) {
      throw new ArgumentError(`${op}: ${from} has a tensor named '${name}', but names starting with '${OPTIM_PREFIX}' are the optimizer's in a checkpoint`);
    }
    return name;
  };
  if (opts.model !== undefined) {
    if (!(opts.model instanceof Module)) throw new ArgumentError(`${op}: options.model must be an nn.Module, got ${describe(opts.model)}`);
    for (const [name, p] of opts.model.namedParameters()) add(plain(name, 'the model'), p, 'the model');
  }
  if (opts.tensors !== undefined) {
    for (const [name, t] of Object.entries(checkTensors(op, 'options.tensors', opts.tensors))) add(plain(name, 'options.tensors'), t, 'options.tensors');
  }
  let groups: string | undefined;
  if (opts.optimizer !== undefined) {
    const optimizer = opts.optimizer as Partial<StateSource> | null;
    if (typeof optimizer !== 'object' || optimizer === null || typeof optimizer.stateDict !== 'function') {
      throw new ArgumentError(`${op}: options.optimizer must have a stateDict() method, got ${describe(optimizer)}`);
    }
    const state = optimizer.stateDict();
    if (isStructured(state)) {
      for (const [name, t] of Object.entries(checkTensors(op, 'options.optimizer.stateDict().state', state.state))) {
        add(OPTIM_STATE_PREFIX + name, t, 'the optimizer');
      }
      groups = JSON.stringify(state.paramGroups);
    } else {
      for (const [name, t] of Object.entries(checkTensors(op, 'options.optimizer.stateDict()', state))) add(OPTIM_PREFIX + name, t, 'the optimizer');
    }
  }
  const metadata: [string, string][] = [[FORMAT_KEY, FORMAT_VERSION], ...(groups === undefined ? [] : [[PARAM_GROUPS_KEY, groups] as [string, string]])];
  if (opts.metadata !== undefined) {
    if (!isRecord(opts.metadata)) throw new ArgumentError(`${op}: options.metadata must be an object, got ${describe(opts.metadata)}`);
    for (const [key, value] of Object.entries(opts.metadata)) {
      if (key.startsWith('rnnkit.')) throw new ArgumentError(`${op}: metadata key '${key}' is reserved (keys starting with 'rnnkit.')`);
      let json: string | undefined;
      try {
        json = JSON.stringify(value);
      } catch (err) {
        throw new ArgumentError(`${op}: metadata['${key}'] cannot be JSON-encoded: ${errorText(err)}`);
      }
      if (json === undefined) throw new ArgumentError(`${op}: metadata['${key}'] cannot be JSON-encoded (got ${describe(value)})`);
      metadata.push([key, json]);
    }
  }
  const bytes = await encode(Object.fromEntries(all), Object.fromEntries(metadata));
  await writeAtomic(op, file, bytes);
}

/**
 * Loads a checkpoint. Everything is checked before anything changes: the file (see decode()),
 * then, with a model, that the file's non-`optim.` tensors fit it (names, dtypes, shapes; strict
 * by default). Then the optimizer gets the `optim.*` tensors (prefix removed), and the model its
 * parameters. Every failure is a CheckpointError naming the file and the tensors; a failure leaves
 * the model as it was (and the optimizer too, unless its own loadStateDict() throws midway).
 */
export async function load(path: PathLike, options: LoadOptions = {}): Promise<Loaded> {
  return loadChecked('io.load', path, options, () => {});
}

/**
 * Internal (train.resume): load() with `check`, which sees the parsed metadata after the file and
 * the model's fit are checked and before the optimizer or the model change; what it throws ends
 * the load with nothing loaded.
 */
export async function loadChecked(
  op: string,
  path: PathLike,
  options: LoadOptions,
  check: (metadata: Record<string, unknown>, file: string) => void,
): Promise<Loaded> {
  const file = checkPath(op, path);
  const opts = checkOptions(op, options, LOAD_OPTIONS);
  const model = opts.model;
  if (model !== undefined && !(model instanceof Module)) throw new ArgumentError(`${op}: options.model must be an nn.Module, got ${describe(model)}`);
  const optimizer = opts.optimizer as Partial<StateTarget> | undefined;
  if (optimizer !== undefined && (typeof optimizer !== 'object' || optimizer === null || typeof optimizer.loadStateDict !== 'function')) {
    throw new ArgumentError(`${op}: options.optimizer must have a loadStateDict() method, got ${describe(optimizer)}`);
  }
  const strict = checkBoolean(op, 'options.strict', opts.strict ?? true);
  const convert64 = checkBoolean(op, 'options.convert64', opts.convert64 ?? false);
  const device =
    opts.device === undefined
      ? (model?.parameters()[0]?.device ?? defaultDevice())
      : checkDevice(op, 'options.device', opts.device);

  const decoded = decodeAs(op, await readBytes(op, file), { file, convert64, device });
  const all = Object.entries(decoded.tensors);
  try {
    const metadata = parseMetadata(op, file, decoded.metadata);
    const optim = all.filter(([name]) => name.startsWith(OPTIM_PREFIX));
    const rest = all.filter(([name]) => !name.startsWith(OPTIM_PREFIX));
    const given = new Set<string>();

    let forModel: [string, Tensor][] = [];
    if (model !== undefined) {
      forModel = checkFit(op, file, model, rest, strict);
      for (const [name] of forModel) given.add(name);
    }
    check(metadata, file);
    if (optimizer !== undefined) {
      const state = optimizerState(op, file, optim, decoded.metadata[PARAM_GROUPS_KEY]);
      try {
        optimizer.loadStateDict!(state);
      } catch (err) {
        throw new CheckpointError(`${op}: ${file}: the optimizer did not accept its state: ${errorText(err)}`, { cause: err });
      }
      for (const [name] of optim) given.add(name);
    }
    if (model !== undefined) {
      try {
        model.loadStateDict(Object.fromEntries(forModel), { strict: false });
      } catch (err) {
        throw new CheckpointError(`${op}: ${file} does not fit the model: ${errorText(err)}`, { cause: err });
      }
    }
    for (const [name, t] of all) if (given.has(name)) t.dispose();
    return { tensors: Object.fromEntries(all.filter(([name]) => !given.has(name))), metadata };
  } catch (err) {
    for (const [, t] of all) t.dispose();
    throw err;
  }
}

/**
 * The (name, tensor) pairs of the file that go to the model, after checking they fit: strict,
 * exactly its names; else those it has. Dtypes and shapes must match. A CheckpointError names
 * every missing and unexpected name, or the mismatched tensors (in the model's order, 4 at most).
 */
function checkFit(op: string, file: string, model: Module, rest: [string, Tensor][], strict: boolean): [string, Tensor][] {
  const params = new Map(model.namedParameters());
  const inFile = new Set(rest.map(([name]) => name));
  if (strict) {
    const missing = [...params.keys()].filter((name) => !inFile.has(name));
    const unexpected = [...inFile].filter((name) => !params.has(name));
    if (missing.length > 0 || unexpected.length > 0) {
      const parts: string[] = [];
      if (missing.length > 0) parts.push(`missing ${missing.join(', ')}`);
      if (unexpected.length > 0) parts.push(`unexpected ${unexpected.join(', ')}`);
      throw new CheckpointError(`${op}: ${file} does not fit the model: ${parts.join('; ')}`);
    }
  }
  const byName = new Map(rest);
  const out: [string, Tensor][] = [];
  const problems: string[] = [];
  for (const [name, p] of params) {
    const t = byName.get(name);
    if (t === undefined) continue;
    if (t.dtype !== p.dtype) problems.push(`tensor '${name}' is ${t.dtype}, the parameter is ${p.dtype}`);
    else if (t.shape.join() !== p.shape.join()) {
      problems.push(`tensor '${name}' has shape [${t.shape.join(', ')}], the parameter has [${p.shape.join(', ')}]`);
    } else out.push([name, t]);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 4).join('; ');
    const more = problems.length > 4 ? ` (and ${problems.length - 4} more)` : '';
    throw new CheckpointError(`${op}: ${file} does not fit the model: ${shown}${more}`);
  }
  return out;
}

/** An rnnkit optimizer's { state, paramGroups } (not a plain dict of tensors). */
function isStructured(state: OptimizerState): state is OptimizerStateDict {
  return isRecord(state) && !(state.state instanceof Tensor) && isRecord(state.state) && Array.isArray(state.paramGroups);
}

/** The optimizer's part of a file: { state, paramGroups } when the file has groups, else the `optim.` tensors by name. */
function optimizerState(op: string, file: string, optim: [string, Tensor][], groups: string | undefined): OptimizerState {
  if (groups === undefined) return Object.fromEntries(optim.map(([name, t]) => [name.slice(OPTIM_PREFIX.length), t]));
  let paramGroups: unknown;
  try {
    paramGroups = JSON.parse(groups);
  } catch {
    throw new CheckpointError(`${op}: ${file}: __metadata__['${PARAM_GROUPS_KEY}'] is not JSON`);
  }
  if (!Array.isArray(paramGroups)) throw new CheckpointError(`${op}: ${file}: __metadata__['${PARAM_GROUPS_KEY}'] must be a list of parameter groups`);
  // A tensor outside optim.state. keeps its full name, so the optimizer reports it as unexpected.
  const state = optim.map(([name, t]) => [name.startsWith(OPTIM_STATE_PREFIX) ? name.slice(OPTIM_STATE_PREFIX.length) : name, t]);
  return { state: Object.fromEntries(state), paramGroups: paramGroups as ParamGroupState[] };
}

function parseMetadata(op: string, file: string, raw: Record<string, string>): Record<string, unknown> {
  const format = raw[FORMAT_KEY];
  const ours = Object.hasOwn(raw, FORMAT_KEY);
  if (ours && format !== FORMAT_VERSION) {
    throw new CheckpointError(`${op}: ${file}: written in rnnkit checkpoint format ${JSON.stringify(format)}; this rnnkit reads format ${FORMAT_VERSION}`);
  }
  const out: [string, unknown][] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (key === FORMAT_KEY || key === PARAM_GROUPS_KEY) continue;
    try {
      out.push([key, JSON.parse(value)]);
    } catch {
      if (ours) throw new CheckpointError(`${op}: ${file}: __metadata__['${key}'] is not JSON, as rnnkit writes every value`);
      out.push([key, value]);
    }
  }
  return Object.fromEntries(out);
}

/** Writes name → tensor (and string metadata, as is) as a plain safetensors file, atomically. */
export async function saveTensors(path: PathLike, tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  const op = 'io.saveTensors';
  const file = checkPath(op, path);
  const bytes = await encode(checkTensors(op, 'tensors', tensors), metadata);
  await writeAtomic(op, file, bytes);
}

/** Reads a safetensors file (validated as decode() does): new tensors and the raw metadata. */
export async function loadTensors(path: PathLike, options: LoadTensorsOptions = {}): Promise<Decoded> {
  const op = 'io.loadTensors';
  const file = checkPath(op, path);
  const opts = checkOptions(op, options, LOAD_TENSORS_OPTIONS);
  const convert64 = checkBoolean(op, 'options.convert64', opts.convert64 ?? false);
  const device = opts.device === undefined ? defaultDevice() : checkDevice(op, 'options.device', opts.device);
  return decodeAs(op, await readBytes(op, file), { file, convert64, device });
}

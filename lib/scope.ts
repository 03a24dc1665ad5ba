// tidy() scopes: every tensor created inside a scope is disposed when the scope ends, except the
// tensors the function returns (they move to the enclosing scope) and those passed to keep().

import { ArgumentError } from './errors.js';

/** What a scope can own: anything with dispose(). Tensor implements it. */
export interface Disposable {
  dispose(): void;
  readonly disposed: boolean;
}

const scopes: Set<Disposable>[] = [];
let untrackedDepth = 0;

/** Called by every new tensor. */
export function track(t: Disposable): void {
  if (untrackedDepth === 0) scopes.at(-1)?.add(t);
}

/** Removes a tensor from every open scope, so no tidy() disposes it. Returns it. */
export function keep<T extends Disposable>(t: T): T {
  for (const scope of scopes) scope.delete(t);
  return t;
}

/** Runs fn with new tensors belonging to no scope (gradients written by backward()). */
export function untracked<T>(fn: () => T): T {
  untrackedDepth++;
  try {
    return fn();
  } finally {
    untrackedDepth--;
  }
}

/**
 * Runs fn and disposes every tensor it created, except those in its result (a tensor, or arrays
 * and plain objects holding tensors), which move to the enclosing scope. fn must be synchronous:
 * a scope cannot follow an await.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ArgumentError('tidy: fn must be a function');
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    disposeAll(scope);
    throw err;
  }
  scopes.pop();
  if (result instanceof Promise) {
    disposeAll(scope);
    throw new ArgumentError('tidy: fn returned a Promise; tidy() takes a synchronous function (await outside it)');
  }
  const kept = new Set<Disposable>();
  collect(result, kept, new Set());
  for (const t of scope) {
    if (kept.has(t)) track(t);
    else if (!t.disposed) t.dispose();
  }
  return result;
}

function disposeAll(scope: Set<Disposable>): void {
  for (const t of scope) if (!t.disposed) t.dispose();
}

function isDisposable(v: object): v is Disposable {
  return typeof (v as Partial<Disposable>).dispose === 'function' && 'disposed' in v;
}

function collect(value: unknown, out: Set<Disposable>, seen: Set<object>): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  if (isDisposable(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, seen);
  }
}

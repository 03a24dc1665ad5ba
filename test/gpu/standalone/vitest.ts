// The part of vitest's API that the GPU suites (and the helpers they import) use, on Node's own
// test runner (node:test) and node:assert. The GPU bundle (scripts/gpu-bundle.mjs) compiles each
// suite with `vitest` resolved to this file, so the very same test files run on a GPU machine that
// has Node (the bundle brings it) but no npm and no node_modules. Matchers follow vitest's
// semantics where the suites rely on them: toBe is Object.is, toEqual is a deep equality that
// compares typed arrays element by element and treats NaN as equal to NaN.

import { isDeepStrictEqual, inspect } from 'node:util';
import * as nodeTest from 'node:test';

type Fn = () => unknown;

/** vitest's describe, with describe.skipIf(condition)(name, fn). */
export const describe = Object.assign((name: string, fn: Fn): void => void nodeTest.describe(name, () => void fn()), {
  skipIf:
    (condition: unknown) =>
    (name: string, fn: Fn): void =>
      void nodeTest.describe(name, { skip: Boolean(condition) }, () => void fn()),
});

/** vitest's it / test: a synchronous or async test body. */
export const it = Object.assign((name: string, fn: Fn): void => void nodeTest.it(name, async () => void (await fn())), {
  skip: (name: string, _fn?: Fn): void => void nodeTest.it(name, { skip: true }, () => undefined),
});
export const test = it;

export const beforeAll = (fn: Fn): void => void nodeTest.before(async () => void (await fn()));
export const afterAll = (fn: Fn): void => void nodeTest.after(async () => void (await fn()));
export const beforeEach = (fn: Fn): void => void nodeTest.beforeEach(async () => void (await fn()));
export const afterEach = (fn: Fn): void => void nodeTest.afterEach(async () => void (await fn()));

const show = (value: unknown): string => inspect(value, { depth: 4, maxArrayLength: 20, breakLength: Infinity });

/** Deep equality as vitest's toEqual sees it (own enumerable properties whose value is undefined are ignored). */
function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b) || a instanceof Map || a instanceof Set) return isDeepStrictEqual(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Error || b instanceof Error) return a instanceof Error && b instanceof Error && a.message === b.message;
  const keys = (o: object) => Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined);
  const ka = keys(a);
  const kb = keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

type Expected = string | RegExp | (new (...args: never[]) => unknown) | Error | undefined;

/** Whether `error` matches toThrow's expectation (a substring, a pattern, a class or an error). */
function thrownMatches(error: unknown, expected: Expected): boolean {
  if (expected === undefined) return true;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof expected === 'string') return message.includes(expected);
  if (expected instanceof RegExp) return expected.test(message);
  if (expected instanceof Error) return message === expected.message;
  return error instanceof expected;
}

export interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toStrictEqual(expected: unknown): void;
  toBeNull(): void;
  toBeUndefined(): void;
  toBeDefined(): void;
  toBeTruthy(): void;
  toBeFalsy(): void;
  toBeNaN(): void;
  toBeGreaterThan(n: number): void;
  toBeGreaterThanOrEqual(n: number): void;
  toBeLessThan(n: number): void;
  toBeLessThanOrEqual(n: number): void;
  /** |actual - expected| < 10^-digits / 2 (vitest's default: 2 digits). */
  toBeCloseTo(expected: number, digits?: number): void;
  toBeInstanceOf(type: new (...args: never[]) => unknown): void;
  toMatch(pattern: string | RegExp): void;
  toContain(item: unknown): void;
  toHaveLength(length: number): void;
  toThrow(expected?: Expected): void;
}

export interface Assertion extends Matchers {
  not: Matchers;
  /** The matchers applied to what a promise rejects with (toThrow) or resolves to. */
  rejects: { toThrow(expected?: Expected): Promise<void> };
  resolves: { [K in keyof Matchers]: (...args: Parameters<Matchers[K]>) => Promise<void> };
}

function matchers(actual: unknown, negate: boolean, label: string | undefined): Matchers {
  const check = (pass: boolean, what: string): void => {
    if (pass !== negate) return;
    const prefix = label ? `${label}: ` : '';
    throw new Error(`${prefix}expected ${show(actual)} ${negate ? 'not ' : ''}${what}`);
  };
  const num = (): number => {
    if (typeof actual !== 'number' && typeof actual !== 'bigint') throw new Error(`${label ? `${label}: ` : ''}expected a number, got ${show(actual)}`);
    return Number(actual);
  };
  return {
    toBe: (e) => check(Object.is(actual, e), `to be ${show(e)}`),
    toEqual: (e) => check(equal(actual, e), `to equal ${show(e)}`),
    toStrictEqual: (e) => check(isDeepStrictEqual(actual, e), `to strictly equal ${show(e)}`),
    toBeNull: () => check(actual === null, 'to be null'),
    toBeUndefined: () => check(actual === undefined, 'to be undefined'),
    toBeDefined: () => check(actual !== undefined, 'to be defined'),
    toBeTruthy: () => check(Boolean(actual), 'to be truthy'),
    toBeFalsy: () => check(!actual, 'to be falsy'),
    toBeNaN: () => check(Number.isNaN(actual), 'to be NaN'),
    toBeGreaterThan: (n) => check(num() > n, `to be > ${n}`),
    toBeGreaterThanOrEqual: (n) => check(num() >= n, `to be >= ${n}`),
    toBeLessThan: (n) => check(num() < n, `to be < ${n}`),
    toBeLessThanOrEqual: (n) => check(num() <= n, `to be <= ${n}`),
    toBeCloseTo: (e, digits = 2) => check(Math.abs(num() - e) < 10 ** -digits / 2, `to be close to ${e} (${digits} digits)`),
    toBeInstanceOf: (type) => check(actual instanceof type, `to be an instance of ${type.name}`),
    toMatch: (p) => check(typeof actual === 'string' && (typeof p === 'string' ? actual.includes(p) : p.test(actual)), `to match ${show(p)}`),
    toContain: (item) =>
      check((typeof actual === 'string' && typeof item === 'string' && actual.includes(item)) || (Array.isArray(actual) && actual.includes(item)), `to contain ${show(item)}`),
    toHaveLength: (n) => check((actual as { length?: unknown } | null)?.length === n, `to have length ${n}`),
    toThrow: (e) => {
      if (typeof actual !== 'function') throw new Error(`toThrow needs a function, got ${show(actual)}`);
      let thrown: { error: unknown } | null = null;
      try {
        actual();
      } catch (error) {
        thrown = { error };
      }
      const got = thrown ? `threw ${show(thrown.error instanceof Error ? thrown.error.message : thrown.error)}` : 'did not throw';
      if ((thrown !== null && thrownMatches(thrown.error, e)) === negate) {
        throw new Error(`${label ? `${label}: ` : ''}expected the function ${negate ? 'not ' : ''}to throw${e === undefined ? '' : ` ${show(e)}`}, but it ${got}`);
      }
    },
  };
}

export function expect(actual: unknown, label?: string): Assertion {
  const settle = async (): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> => {
    try {
      return { ok: true, value: await actual };
    } catch (error) {
      return { ok: false, error };
    }
  };
  const resolves = Object.fromEntries(
    Object.keys(matchers(undefined, false, label)).map((name) => [
      name,
      async (...args: unknown[]) => {
        const r = await settle();
        if (!r.ok) throw new Error(`${label ? `${label}: ` : ''}expected the promise to resolve, but it rejected with ${show(r.error)}`);
        (matchers(r.value, false, label) as unknown as Record<string, (...a: unknown[]) => void>)[name]!(...args);
      },
    ]),
  ) as Assertion['resolves'];
  return {
    ...matchers(actual, false, label),
    not: matchers(actual, true, label),
    rejects: {
      toThrow: async (e) => {
        const r = await settle();
        if (r.ok) throw new Error(`${label ? `${label}: ` : ''}expected the promise to reject, but it resolved to ${show(r.value)}`);
        matchers(() => {
          throw r.error;
        }, false, label).toThrow(e);
      },
    },
    resolves,
  };
}

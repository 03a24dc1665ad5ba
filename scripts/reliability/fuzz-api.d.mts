// Types of fuzz-api.mjs for the TypeScript test that imports it.
import type * as fcModule from 'fast-check';

export interface Finding {
  outcome: string;
  message: string;
  stack: string;
  call: string;
}

export interface FuzzResult {
  runs: number;
  seed: number;
  /** 'ok' or the thrown error's class name → count. */
  outcomes: Record<string, number>;
  /** call kind → outcome → count. */
  byCall: Record<string, Record<string, number>>;
  findings: Finding[];
}

export interface FuzzOptions {
  runs: number;
  seed: number;
  onProgress?: (done: number) => void;
  onCall?: (call: unknown) => void;
}

export function fuzzApi(rk: object, fc: typeof fcModule, options: FuzzOptions): Promise<FuzzResult>;
export function describeCall(call: unknown): string;

// Types of hostile-safetensors.mjs for the TypeScript test that imports it.
export interface HostileFinding {
  i: number;
  kinds: string;
  problem: string;
}

export interface HostileResult {
  count: number;
  seed: number;
  /** CheckpointError, loaded (harmless mutation, values verified), or other: <class>. */
  outcomes: Record<string, number>;
  byKind: Record<string, Record<string, number>>;
  findings: HostileFinding[];
  /** The largest mutated file, in bytes. */
  largest: number;
}

export const MUTATION_KINDS: string[];
export function baseFiles(rk: object): Promise<Uint8Array[]>;
export function runHostile(
  rk: object,
  options: { count: number; seed: number; bases: Uint8Array[]; onProgress?: (done: number) => void },
): Promise<HostileResult>;

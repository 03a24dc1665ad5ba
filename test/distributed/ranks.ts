// Runs test/distributed/gloo-child.ts as N rank processes: bundled once by esbuild into an ignored
// build-test/ folder inside the package (the addon loader finds the package root from there).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { ChildArgs } from './gloo-child.js';

const root = new URL('../../', import.meta.url);
const bundle = fileURLToPath(new URL('build-test/distributed/gloo-child.mjs', root));
let bundled: Promise<unknown> | null = null;

function bundleChild(): Promise<unknown> {
  mkdirSync(fileURLToPath(new URL('build-test/distributed/', root)), { recursive: true });
  bundled ??= build({
    entryPoints: [fileURLToPath(new URL('gloo-child.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    logLevel: 'warning',
  });
  return bundled;
}

export interface Rank {
  child: ChildProcess;
  /** Parsed JSON lines so far. */
  events: Record<string, unknown>[];
  stderr: string;
  exited: Promise<number | null>;
  /** Resolves with the first event that has `key`. */
  next(key: string): Promise<Record<string, unknown>>;
}

export async function startRanks(worldSize: number, args: Omit<ChildArgs, 'rank' | 'worldSize'>): Promise<Rank[]> {
  await bundleChild();
  return Array.from({ length: worldSize }, (_, rank) => spawnRank({ ...args, rank, worldSize }));
}

/** One rank with its own arguments, run under `prefix` (e.g. ['ip', 'netns', 'exec', 'ns']). */
export async function startRank(args: ChildArgs, prefix: string[] = []): Promise<Rank> {
  await bundleChild();
  return spawnRank(args, prefix);
}

function spawnRank(args: ChildArgs, prefix: string[] = []): Rank {
  const [command, ...rest] = [...prefix, process.execPath, bundle, JSON.stringify(args)];
  const child = spawn(command!, rest, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  const events: Record<string, unknown>[] = [];
  const waiters: { key: string; resolve: (e: Record<string, unknown>) => void }[] = [];
  let out = '';
  const r: Rank = {
    child,
    events,
    stderr: '',
    exited: new Promise((resolve) => child.on('close', resolve)),
    next: (key) =>
      new Promise((resolve) => {
        const found = events.find((e) => key in e);
        if (found) resolve(found);
        else waiters.push({ key, resolve });
      }),
  };
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const event = JSON.parse(out.slice(0, nl)) as Record<string, unknown>;
      out = out.slice(nl + 1);
      events.push(event);
      for (const w of waiters.filter((w) => w.key in event)) w.resolve(event);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (r.stderr += s));
  return r;
}

/** Runs every rank to its end (see finished). */
export async function runRanks(worldSize: number, args: Omit<ChildArgs, 'rank' | 'worldSize'>): Promise<Record<string, unknown>[][]> {
  return finished(await startRanks(worldSize, args));
}

/** Each rank's events once all exited; fails naming the rank and its stderr when one exits non-zero. */
export async function finished(ranks: Rank[]): Promise<Record<string, unknown>[][]> {
  const codes = await Promise.all(ranks.map((r) => r.exited));
  codes.forEach((code, rank) => {
    if (code !== 0) throw new Error(`rank ${rank} exited with ${code}: ${ranks[rank]!.stderr}`);
  });
  return ranks.map((r) => r.events);
}

// Runs a child script of test/distributed/ (gloo-child.ts, dp-child.ts) as N rank processes:
// bundled once by esbuild into an ignored build-test/ folder inside the package (the addon loader
// finds the package root from there).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { ChildArgs } from './gloo-child.js';

const root = new URL('../../', import.meta.url);
const bundled = new Map<string, Promise<string>>();

/** The bundle of test/distributed/<child>.ts (built once per test run). */
function bundleChild(child: string): Promise<string> {
  mkdirSync(fileURLToPath(new URL('build-test/distributed/', root)), { recursive: true });
  const outfile = fileURLToPath(new URL(`build-test/distributed/${child}.mjs`, root));
  const pending =
    bundled.get(child) ??
    build({
      entryPoints: [fileURLToPath(new URL(`${child}.ts`, import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'warning',
    }).then(() => outfile);
  bundled.set(child, pending);
  return pending;
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

/** Spawns one rank of a bundled child with its arguments (as JSON), extra variables, under `prefix` (e.g. ['ip', 'netns', 'exec', 'ns']). */
function spawnRank(bundle: string, args: object, env: Record<string, string> = {}, prefix: string[] = []): Rank {
  const [command, ...rest] = [...prefix, process.execPath, bundle, JSON.stringify(args)];
  const child = spawn(command!, rest, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OMP_NUM_THREADS: '1', ...env },
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

/** Starts worldSize processes of test/distributed/<child>.ts, rank r with argument argsOf(r) and extra variables envOf(r). */
export async function spawnRanks(child: string, worldSize: number, argsOf: (rank: number) => object, envOf: (rank: number) => Record<string, string> = () => ({})): Promise<Rank[]> {
  const bundle = await bundleChild(child);
  return Array.from({ length: worldSize }, (_, rank) => spawnRank(bundle, argsOf(rank), envOf(rank)));
}

/** worldSize ranks of gloo-child.ts with the same arguments. */
export async function startRanks(worldSize: number, args: Omit<ChildArgs, 'rank' | 'worldSize'>): Promise<Rank[]> {
  return spawnRanks('gloo-child', worldSize, (rank) => ({ ...args, rank, worldSize }));
}

/** One rank of gloo-child.ts with its own arguments, run under `prefix` (e.g. ['ip', 'netns', 'exec', 'ns']). */
export async function startRank(args: ChildArgs, prefix: string[] = []): Promise<Rank> {
  return spawnRank(await bundleChild('gloo-child'), args, {}, prefix);
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

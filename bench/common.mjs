// What the side-by-side benchmarks share: the shapes, seeded batches both sides read, the
// step timer, the PyTorch peer runner and the table's cells. Not a test: nothing asserts a time.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../', import.meta.url));
export const THREADS = Number(process.env.OMP_NUM_THREADS ?? availableParallelism());
export const WARMUP = 2;
/** Timed steps per side: `--steps N`, else RNNKIT_BENCH_ITERS, else 7. */
export const ITERS = positiveCount('--steps (or RNNKIT_BENCH_ITERS)', arg('--steps') ?? process.env.RNNKIT_BENCH_ITERS ?? '7');

/** `text` as a whole number >= 1, or a RangeError naming `name` and what it got. */
function positiveCount(name, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a whole number >= 1, got '${text}'`);
  return n;
}

/** The shapes (a 2-layer BiLSTM over each): H = 64 and 256 at batch 32, T = 64; H = 512 at batch 64, T = 100. */
export const SHAPES = [
  { hidden: 64, batch: 32, time: 64 },
  { hidden: 256, batch: 32, time: 64 },
  { hidden: 512, batch: 64, time: 100 },
];

/** A small LCG: the same numbers on every run and on both sides. */
export function lcg(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
}

/** `row.batch` lengths: all `row.time` ('equal') or uniform in [ceil(T/2), T] drawn from `next`. */
export function drawLengths(row, next) {
  const lo = Math.ceil(row.time / 2);
  return Int32Array.from({ length: row.batch }, () => (row.lengths === 'equal' ? row.time : lo + (next() % (row.time - lo + 1))));
}

/**
 * The seeded LSTM of a row (`layers`, `bidirectional`, `input`, `hidden`, optional `precision`)
 * on `device`, and its input x [batch, time, input] = sin(i)·0.9 (both benchmarks and their peers
 * time the same shapes; the values only need to be fixed).
 */
export function lstmAndInput(rk, row, { device = 'cpu', requiresGrad = false } = {}) {
  rk.seed(0);
  const lstm = new rk.nn.LSTM({
    inputSize: row.input,
    hiddenSize: row.hidden,
    numLayers: row.layers,
    bidirectional: row.bidirectional,
    precision: row.precision ?? 'fp32',
  }).to(device);
  const n = row.batch * row.time * row.input;
  const xData = new Float32Array(n);
  for (let i = 0; i < n; i++) xData[i] = Math.sin(i) * 0.9;
  const x = rk.tensor(xData, { shape: [row.batch, row.time, row.input], device, requiresGrad });
  return { lstm, x };
}

/**
 * The header's line on the two CPU sides: rnnkit's backends and PyTorch's threads, each with the
 * OpenMP wait policy it runs under (rnnkit loads with passive unless OMP_WAIT_POLICY is set; the
 * peer gets the environment as the user gave it).
 */
export function cpuSides(rk) {
  const backends = rk.backends().filter((b) => b.available).map((b) => b.detail).join('; ');
  const user = process.env.OMP_WAIT_POLICY;
  return `rnnkit on ${backends}, OpenMP waiting ${user ?? 'passive'}; PyTorch with ${THREADS} threads, OpenMP waiting ${user ?? 'by its default'}`;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const fmt = (v) => Math.round(v).toLocaleString('en-US');

/** The value after `--name` on the command line. */
export function arg(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** The rows `--rows 0,2` picks (0-based), or all. */
export function pickRows(rows) {
  const pick = arg('--rows');
  return pick ? pick.split(',').map((i) => rows[Number(i)]) : rows;
}

/** Runs `step` (async) `warmup` times, then times `iters` runs: milliseconds each. */
export async function timeSteps(step, { warmup = WARMUP, iters = ITERS } = {}) {
  for (let i = 0; i < warmup; i++) await step();
  const times = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  return times;
}

/**
 * The command line of peer `script` with `args` plus the timing flags (`extra` after them):
 * `{ python, argv }`, or `{ error }` when no Python with torch is there (RNNKIT_BENCH_PYTHON,
 * else .venv-ref's).
 */
function peerCommand(script, args, { warmup = WARMUP, iters = ITERS, extra = [] } = {}) {
  const python = process.env.RNNKIT_BENCH_PYTHON ?? `${root}.venv-ref/bin/python`;
  if (!process.env.RNNKIT_BENCH_PYTHON && !existsSync(python)) return { error: 'no .venv-ref (see bench/peers/README.md)' };
  const timing = ['--threads', String(THREADS), '--warmup', String(warmup), '--iters', String(iters)];
  return { python, argv: [`${root}bench/peers/${script}`, ...args, ...timing, ...extra] };
}

/**
 * Runs a PyTorch peer script of bench/peers with `args` (plus threads, warm-up and iterations) and
 * returns its JSON line, or `{ error }` naming why it could not run.
 */
export function runPeer(script, args, timing = {}) {
  const { python, argv, error } = peerCommand(script, args, timing);
  if (error) return { error };
  const r = spawnSync(python, argv, { encoding: 'utf8' });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop() };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/**
 * Starts a peer script in --lockstep mode and waits until it has warmed up. Resolves to
 * `{ step, finish }`: step() runs one timed step there and resolves to its ms; finish() ends it
 * and resolves to its JSON line. Or to `{ error }` naming why it could not start.
 */
async function startPeer(script, args) {
  const { python, argv, error } = peerCommand(script, args, { extra: ['--lockstep'] });
  if (error) return { error };
  const child = spawn(python, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.on('error', (e) => (stderr += `${e.message}\n`));
  const closed = new Promise((resolve) => child.on('close', resolve));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    return r.done ? null : r.value;
  };
  const why = async () => {
    const code = await closed;
    return stderr.trim().split('\n').pop() || `exit ${code}`;
  };
  if ((await next()) !== 'ready') {
    child.kill();
    return { error: await why() };
  }
  return {
    async step() {
      child.stdin.write('step\n');
      const line = await next();
      if (line === null) throw new Error(await why());
      let ms = NaN;
      try {
        ms = Number(JSON.parse(line).ms);
      } catch {
        // not JSON: reported below
      }
      if (!Number.isFinite(ms)) {
        child.kill();
        throw new Error(`the peer answered ${line} to a step`);
      }
      return ms;
    },
    async finish() {
      child.stdin.end();
      let last = null;
      for (let line = await next(); line !== null; line = await next()) last = line;
      if ((await closed) !== 0 || last === null) throw new Error(await why());
      return JSON.parse(last);
    },
  };
}

/**
 * A pause before each timed step of either side: OpenMP threads of the side that just ran may
 * still spin (libgomp's default policy spins a few ms before sleeping, and PyTorch keeps it), and
 * would take the cores from the other side's first milliseconds.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/**
 * Times `ours` (one async training step) against a peer script's step in lockstep: the peer warms
 * up, then ours, then each of ITERS rounds times one step of ours followed by one of theirs, so
 * the machine's drift (about ±15% within minutes here) hits both sides alike. Returns both
 * medians (`theirs` null, with the peer's `error`, when it could not run) and the peer's JSON
 * line; with RNNKIT_BENCH_VERBOSE set, prints every step's time to stderr.
 */
export async function lockstep(ours, script, args, { noPeer = false } = {}) {
  const peer = noPeer ? { error: '--no-peer' } : await startPeer(script, args);
  let error = peer.error;
  for (let i = 0; i < WARMUP; i++) await ours();
  const mine = [];
  const theirs = [];
  for (let i = 0; i < ITERS; i++) {
    await settle();
    const t0 = performance.now();
    await ours();
    mine.push(performance.now() - t0);
    if (error) continue;
    await settle();
    try {
      theirs.push(await peer.step());
    } catch (e) {
      error = e.message;
    }
  }
  let line = null;
  if (!error) {
    try {
      line = await peer.finish();
    } catch (e) {
      error = e.message;
    }
  }
  if (process.env.RNNKIT_BENCH_VERBOSE) {
    console.error(`  rnnkit ms: ${mine.map((t) => t.toFixed(0)).join(' ')}`);
    if (theirs.length > 0) console.error(`  PyTorch ms: ${theirs.map((t) => t.toFixed(0)).join(' ')}`);
  }
  return { ours: median(mine), theirs: error ? null : median(theirs), error, peer: line };
}

export const TABLE_HEADER = [
  '| H | batch | T | lengths | tokens | rnnkit ms | rnnkit tokens/s | PyTorch ms | PyTorch tokens/s | rnnkit / PyTorch |',
  '|---|---|---|---|---|---|---|---|---|---|',
].join('\n');

/** One table row: our median ms against the peer's (null with the peer's error). */
export function tableRow(row, tokens, ms, peerMs, peerError) {
  const ours = `| ${row.hidden} | ${row.batch} | ${row.time} | ${row.lengths} | ${tokens} | ${ms.toFixed(1)} | ${fmt((tokens / ms) * 1000)} | `;
  if (peerMs === null) return `${ours}n/a (${peerError}) | | |`;
  return `${ours}${peerMs.toFixed(1)} | ${fmt((tokens / peerMs) * 1000)} | ${(peerMs / ms).toFixed(2)}× |`;
}

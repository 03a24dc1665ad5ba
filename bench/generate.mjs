// `npm run bench:generate`: one-token-at-a-time work side by side with PyTorch: greedy text
// generation from a character language model (batch 1, a 9-token prompt, the state carried from
// token to token), a 2-layer BiLSTM classifier's predictions over 1,000 single texts (batch 1) and
// over the same texts in batches of 64, and the microseconds of dispatch (a queued 16-element add;
// an add and a read of its values). Each figure is measured with 1 and with 2 OpenMP threads (a
// child process per count: OpenMP's thread count is fixed when the addon loads). Not a test:
// nothing here asserts a time.
//
//   npm run bench:generate                        # every row, 1 and 2 threads
//   npm run bench:generate -- --threads 2         # one thread count
//   npm run bench:generate -- --rows 0,3          # some rows (0-based, in the table's order)
//   npm run bench:generate -- --steps 9           # timed jobs per side (default 7); the sides alternate job by job
//   npm run bench:generate -- --device cuda       # rnnkit and PyTorch on the GPU
//   npm run bench:generate -- --no-peer           # rnnkit only
//
// Run `npm run build` first (the npm script does). The PyTorch side (bench/peers/torch_generate.py)
// is skipped, with the reason, when no Python with torch is found.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, fmt, lcg, median, pickRows, root, runPeer, THREADS } from './common.mjs';

/** Generation rows: LSTM language models over an 80-token character vocabulary, embedding 64. */
const VOCAB = 80;
const EMBED = 64;
const PROMPT = 9;
/** Classifier rows: the news classifier's shape, H = 128. */
const TEXTS = 1000;
const CLS = { vocab: 20000, embed: 128, hidden: 128, classes: 4 };

const ROWS = [
  { job: 'generate', layers: 1, hidden: 32, tokens: 200 },
  { job: 'generate', layers: 2, hidden: 256, tokens: 200 },
  { job: 'generate', layers: 2, hidden: 1024, tokens: 40 },
  { job: 'predict', batch: 1 },
  { job: 'predict', batch: 64 },
];

const label = (row) =>
  row.job === 'generate' ? `generate, ${row.layers} layer${row.layers > 1 ? 's' : ''}, H=${row.hidden}` : `classifier predict, batch ${row.batch}`;

/** The texts of the predict rows: lengths uniform in 20..60, ids in [2, vocab), from a fixed LCG. */
function texts() {
  const next = lcg(7);
  return Array.from({ length: TEXTS }, () => Int32Array.from({ length: 20 + (next() % 41) }, () => 2 + (next() % (CLS.vocab - 2))));
}

/** count, then each text's length and ids (little-endian int32), for the peer. */
function writeTexts(path, list) {
  const parts = [Int32Array.of(list.length), ...list.flatMap((t) => [Int32Array.of(t.length), t])];
  writeFileSync(path, Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
}

/** Bytes of float32 parameters a generated token reads: the LSTM, the head and one embedding row. */
function bytesPerToken(row) {
  const H = row.hidden;
  let floats = EMBED + VOCAB * H + VOCAB;
  for (let l = 0; l < row.layers; l++) floats += 4 * H * ((l === 0 ? EMBED : H) + H) + 8 * H;
  return floats * 4;
}

/** The machine's memory copy rate: a 256 MiB Float32Array copied with set(), GB copied per second. */
function copyBandwidth() {
  const src = new Float32Array(64 << 20).fill(1);
  const dst = new Float32Array(64 << 20);
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    dst.set(src);
    times.push(performance.now() - t0);
  }
  return src.byteLength / 1e9 / (median(times) / 1000);
}

// ---- The child: one thread count, every row ------------------------------------------------------

async function child(device, noPeer) {
  const { lockstep } = await import('./common.mjs');
  const rk = await import('rnnkit');
  const { measureDispatch } = await import('./dispatch.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'rnnkit-bench-'));
  const results = [];
  try {
    const corpus = Array.from({ length: VOCAB - 2 }, (_, i) => String.fromCodePoint(0x21 + i)).join('');
    const tokenizer = rk.data.CharTokenizer.fromCorpus(corpus);
    const prompt = corpus.slice(0, PROMPT);
    const list = texts();
    const textsFile = join(dir, 'texts.bin');
    writeTexts(textsFile, list);
    for (const row of pickRows(ROWS)) {
      rk.seed(0);
      let ours;
      let args;
      let count;
      if (row.job === 'generate') {
        const lm = new rk.nn.LanguageModel({ vocabSize: VOCAB, embeddingDim: EMBED, hiddenSize: row.hidden, numLayers: row.layers }).to(device);
        ours = async () => void (await rk.generate(lm, tokenizer, { prompt, maxTokens: row.tokens, temperature: 0 }));
        args = ['generate', '--vocab', VOCAB, '--embed', EMBED, '--hidden', row.hidden, '--layers', row.layers, '--prompt', PROMPT, '--tokens', row.tokens];
        count = row.tokens;
      } else {
        const model = new rk.nn.SequenceClassifier({ vocabSize: CLS.vocab, numClasses: CLS.classes, embeddingDim: CLS.embed, hiddenSize: CLS.hidden, numLayers: 2 }).to(device);
        ours =
          row.batch === 1
            ? async () => {
                for (const ids of list) {
                  const logits = model.predict(rk.tensor(ids, { shape: [1, ids.length], device }));
                  const scores = await logits.data();
                  logits.dispose();
                  scores.indexOf(Math.max(...scores));
                }
              }
            : async () => {
                for (const scores of await rk.train.predict(model, list, { batchSize: row.batch })) scores.indexOf(Math.max(...scores));
              };
        args = ['predict', '--data', textsFile, '--vocab', CLS.vocab, '--embed', CLS.embed, '--hidden', CLS.hidden, '--classes', CLS.classes, '--batch', row.batch];
        count = TEXTS;
      }
      const r = await lockstep(ours, 'torch_generate.py', [...args.map(String), '--device', device], { noPeer });
      results.push({ row, count, ours: r.ours, theirs: r.theirs, error: r.error });
    }
    const dispatch = await measureDispatch();
    const peer = noPeer ? { error: '--no-peer' } : runPeer('torch_generate.py', ['dispatch'], { warmup: 0, iters: 1 });
    return { threads: THREADS, results, dispatch, peerDispatch: peer, copyGBs: copyBandwidth() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- The parent: one child per thread count, then the tables -------------------------------------

function perSecond(count, ms) {
  return (count / ms) * 1000;
}

function printTables(runs) {
  console.log('| job | threads | rnnkit per s | PyTorch per s | rnnkit / PyTorch |');
  console.log('|---|---|---|---|---|');
  for (const run of runs) {
    for (const r of run.results) {
      const ours = perSecond(r.count, r.ours);
      const unit = r.row.job === 'generate' ? 'tokens' : 'texts';
      const theirs = r.theirs === null ? null : perSecond(r.count, r.theirs);
      const peer = theirs === null ? `n/a (${r.error})` : `${fmt(theirs)} ${unit}`;
      const ratio = theirs === null ? '' : `${(ours / theirs).toFixed(2)}×`;
      console.log(`| ${label(r.row)} | ${run.threads} | ${fmt(ours)} ${unit} | ${peer} | ${ratio} |`);
    }
  }
  console.log('');
  console.log('| dispatch | threads | rnnkit µs | PyTorch µs |');
  console.log('|---|---|---|---|');
  for (const run of runs) {
    const p = run.peerDispatch;
    const peer = (key) => (p.error ? `n/a (${p.error})` : p[key].toFixed(1));
    console.log(`| queued 16-element add | ${run.threads} | ${run.dispatch.queuedUs.toFixed(1)} | ${peer('queued_us')} |`);
    console.log(`| add + dataSync() | ${run.threads} | ${run.dispatch.readSyncUs.toFixed(1)} | ${peer('read_us')} |`);
    console.log(`| add + await data() | ${run.threads} | ${run.dispatch.readAsyncUs.toFixed(1)} | ${peer('read_us')} |`);
  }
  const big = ROWS.find((r) => r.hidden === 1024);
  const bytes = bytesPerToken(big);
  const lines = runs.flatMap((run) => {
    const r = run.results.find((x) => x.row === big || (x.row.hidden === big.hidden && x.row.job === 'generate'));
    if (!r) return [];
    const gbs = (tokens) => ((bytes * tokens) / 1e9).toFixed(1);
    const theirs = r.theirs === null ? '' : `, PyTorch ${gbs(perSecond(r.count, r.theirs))} GB/s`;
    return [`${run.threads} thread(s): rnnkit ${gbs(perSecond(r.count, r.ours))} GB/s${theirs}; memory copy ${run.copyGBs.toFixed(1)} GB/s copied`];
  });
  if (lines.length > 0) {
    console.log('');
    console.log(`${label(big)} reads ${(bytes / 1e6).toFixed(1)} MB of float32 weights per token:`);
    for (const l of lines) console.log(`  ${l}`);
  }
}

const device = arg('--device') ?? 'cpu';
const noPeer = process.argv.includes('--no-peer');
if (process.argv.includes('--child')) {
  const out = await child(device, noPeer);
  console.log(JSON.stringify(out, (_, v) => v));
} else {
  const counts = (arg('--threads') ?? '1,2').split(',').map(Number);
  const runs = [];
  for (const threads of counts) {
    const passOn = process.argv.slice(2).filter((a, i, all) => a !== '--threads' && all[i - 1] !== '--threads');
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', ...passOn], {
      env: { ...process.env, OMP_NUM_THREADS: String(threads) },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: root,
    });
    if (r.status !== 0) throw new Error(`the ${threads}-thread run failed (exit ${r.status})`);
    const run = JSON.parse(r.stdout.trim().split('\n').pop());
    run.results.forEach((x) => (x.row = ROWS.find((row) => label(row) === label(x.row))));
    runs.push(run);
  }
  console.log(`rnnkit and PyTorch (${device}), ${counts.join(' and ')} thread(s); the sides alternate job by job\n`);
  printTables(runs);
}

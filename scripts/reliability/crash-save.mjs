// Checkpoint crash safety: `node scripts/reliability/crash-save.mjs [--kills 200] [--seed N]`
// (after `npm run build`). Each round starts a child that saves checkpoints to one path in a loop,
// alternating two versions (model-sized tensors, so a save takes measurable time), and SIGKILLs
// it at a random moment. Then the path must load (io.load) as one of the two complete versions:
// its bytes hash to one of theirs and its values and metadata are that version's. Temp files of
// killed saves may exist between rounds; the next save must remove them, so they never pile up.
// Prints the counts; exit 1 if any round found a partial or unknown file.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as rk from 'rnnkit';

const { values: args } = parseArgs({
  options: {
    kills: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    child: { type: 'string' },
    elements: { type: 'string', default: String(4 * 2 ** 20) },
  },
});
const ELEMENTS = Number(args.elements);

/** Version v (0 or 1): every element of w is v + 1, b counts up from v; metadata names v. */
function version(v) {
  const w = rk.full([ELEMENTS], v + 1);
  const b = rk.tensor(Array.from({ length: 1000 }, (_, i) => i + v), { shape: [1000] });
  return { tensors: { w, b }, metadata: { version: v, note: `version ${v}` } };
}

if (args.child !== undefined) {
  // The child: save the two versions in turn until killed. 'saving' marks the first save's start.
  const versions = [version(0), version(1)];
  process.stdout.write('ready\n');
  for (let i = 0; ; i++) await rk.io.save(args.child, versions[i % 2]);
}

const kills = Number(args.kills);
let state = Number(args.seed) >>> 0;
const random = () => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state / 2 ** 32;
};
const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');

const dir = mkdtempSync(join(tmpdir(), 'rnnkit-crash-'));
const path = join(dir, 'ckpt.safetensors');
const script = fileURLToPath(import.meta.url);

// The two complete files, and how long one save takes here.
const hashes = [];
let saveMs = 0;
for (const v of [0, 1]) {
  const ref = join(dir, `reference-${v}.safetensors`);
  const { tensors, metadata } = version(v);
  const t0 = performance.now();
  await rk.io.save(ref, { tensors, metadata });
  saveMs = Math.max(saveMs, performance.now() - t0);
  hashes.push(sha(readFileSync(ref)));
  rmSync(ref);
  for (const t of Object.values(tensors)) t.dispose();
}
console.log(`checkpoint of ${((ELEMENTS + 1000) * 4 / 2 ** 20).toFixed(1)} MiB; one save takes ~${saveMs.toFixed(0)} ms here; ${kills} kills`);
// Version 0 is there before the first child starts.
{
  const { tensors, metadata } = version(0);
  await rk.io.save(path, { tensors, metadata });
  for (const t of Object.values(tensors)) t.dispose();
}

const counts = { version0: 0, version1: 0, partial: 0, unknown: 0 };
let maxTemps = 0;
let tempsSeen = 0;
const problems = [];
for (let round = 0; round < kills; round++) {
  const child = spawn(process.execPath, [script, '--child', path, '--elements', String(ELEMENTS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout.once('data', resolve);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before it was ready`)));
  });
  // Anywhere within the first few saves: mid-write, mid-fsync, mid-rename or between saves.
  await new Promise((resolve) => setTimeout(resolve, random() * saveMs * 4));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));

  const temps = readdirSync(dir).filter((n) => n.includes('.tmp-'));
  tempsSeen += temps.length;
  maxTemps = Math.max(maxTemps, temps.length);
  const bytes = readFileSync(path);
  const which = hashes.indexOf(sha(bytes));
  let loaded;
  try {
    loaded = await rk.io.load(path);
  } catch (err) {
    counts.partial++;
    problems.push(`round ${round}: io.load failed: ${err.message}`);
    continue;
  }
  const v = loaded.metadata.version;
  const w = loaded.tensors.w.dataSync();
  const b = loaded.tensors.b.dataSync();
  const consistent = (v === 0 || v === 1) && w.length === ELEMENTS && w.every((x) => x === v + 1) && b.every((x, i) => x === i + v);
  for (const t of Object.values(loaded.tensors)) t.dispose();
  if (which === -1 || !consistent || which !== v) {
    counts.unknown++;
    problems.push(`round ${round}: the file (${bytes.length} bytes) is neither complete version (hash match ${which}, metadata version ${v}, values consistent ${consistent})`);
  } else {
    counts[`version${v}`]++;
  }
  if ((round + 1) % 20 === 0) process.stderr.write(`  ${round + 1} kills\n`);
}
// One more save from this process cleans whatever temp files the last kill left.
{
  const { tensors, metadata } = version(1);
  await rk.io.save(path, { tensors, metadata });
  for (const t of Object.values(tensors)) t.dispose();
}
const leftAtEnd = readdirSync(dir).filter((n) => n.includes('.tmp-')).length;
rmSync(dir, { recursive: true, force: true });

console.log(`\nkills: ${kills}`);
console.log(`loaded as the complete version 0: ${counts.version0}`);
console.log(`loaded as the complete version 1: ${counts.version1}`);
console.log(`partial (failed to load): ${counts.partial}`);
console.log(`loaded but not a complete version: ${counts.unknown}`);
console.log(`temp files of killed saves seen after a kill: ${tempsSeen} in all, at most ${maxTemps} at once; left after one more save: ${leftAtEnd}`);
for (const p of problems.slice(0, 20)) console.log(`- ${p}`);
// Temp files never pile up: each completed save removes the dead writers' ones (between two
// completed saves, only the children killed before finishing one leave theirs).
const ok = counts.partial === 0 && counts.unknown === 0 && counts.version0 + counts.version1 === kills && leftAtEnd === 0;
console.log(ok ? 'PASS' : 'FAIL');
process.exit(ok ? 0 : 1);

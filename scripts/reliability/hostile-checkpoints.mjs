// Hostile checkpoints, long form: `node scripts/reliability/hostile-checkpoints.mjs [--count 10000]
// [--seed N]` (after `npm run build`; scripts/reliability/sanitize.sh runs it on the ASan build).
// Mutated safetensors files go through io.decode(); each must be a CheckpointError or load exactly
// what its bytes say (counted apart as harmless), leak no tensor and hold no more tensor bytes
// than the file has. Prints the counts by outcome and by mutation; exit 1 on any finding.

import { parseArgs } from 'node:util';
import * as rk from 'rnnkit';
import { MUTATION_KINDS, baseFiles, runHostile } from './hostile-safetensors.mjs';

const { values: args } = parseArgs({ options: { count: { type: 'string', default: '10000' }, seed: { type: 'string', default: '1' } } });
const count = Number(args.count);
const seed = Number(args.seed);

const bases = await baseFiles(rk);
const rssBefore = process.memoryUsage().rss;
const started = Date.now();
const result = await runHostile(rk, { count, seed, bases, onProgress: (n) => process.stderr.write(`  ${n} files\n`) });
const seconds = ((Date.now() - started) / 1000).toFixed(1);

console.log(`\n${result.count} mutated files (seed ${seed}, ${MUTATION_KINDS.length} mutation kinds, largest ${result.largest} bytes) in ${seconds} s`);
console.log(`CheckpointError: ${result.outcomes.CheckpointError}`);
console.log(`loaded (harmless mutation, values checked against the bytes): ${result.outcomes.loaded}`);
for (const [k, n] of Object.entries(result.outcomes)) if (k !== 'CheckpointError' && k !== 'loaded') console.log(`${k}: ${n}`);
console.log('\nmutation          CheckpointError  loaded');
for (const [kind, t] of Object.entries(result.byKind).sort()) console.log(`${kind.padEnd(18)} ${String(t.CheckpointError).padStart(14)}  ${String(t.loaded).padStart(6)}`);
console.log(`\nRSS before ${(rssBefore / 2 ** 20).toFixed(0)} MiB, after ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB; live tensors after: ${rk.memory().tensors}`);
console.log(`findings: ${result.findings.length}`);
for (const f of result.findings.slice(0, 50)) console.log(`- #${f.i} (${f.kinds}): ${f.problem}`);
const ok = result.findings.length === 0 && result.outcomes.CheckpointError + result.outcomes.loaded === count;
console.log(ok ? 'PASS' : 'FAIL');
process.exit(ok ? 0 : 1);

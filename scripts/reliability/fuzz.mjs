// API fuzzing, long form: `node scripts/reliability/fuzz.mjs [--runs 10000] [--seed N]` (after
// `npm run build`). The calls run in a child process, so an abort or a crash of the addon is
// caught here and reported with the call that was running; the child writes each call to a
// file before making it. Prints the count, the tally by outcome and by call, the seed and every
// finding (a call that threw something other than an RnnkitError, or left tensors alive), and
// checks memory() after the run equals memory() before. Exit 1 on any finding.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    child: { type: 'string' },
  },
});
const runs = Number(args.runs);
const seed = Number(args.seed);

if (args.child !== undefined) {
  await child(args.child);
} else {
  parent();
}

/** Runs the fuzzer; writes the current call to `dir/call.json` and the result to `dir/result.json`. */
async function child(dir) {
  const rk = await import('rnnkit');
  const fc = await import('fast-check');
  const { fuzzApi, describeCall } = await import('./fuzz-api.mjs');
  const settled = async () => {
    for (let i = 0; i < 3; i++) {
      globalThis.gc?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await rk.sync();
    const { tensors, bytes } = rk.memory();
    return { tensors, bytes };
  };
  const before = await settled();
  const result = await fuzzApi(rk, fc, {
    runs,
    seed,
    onCall: (call) => writeFileSync(join(dir, 'call.json'), describeCall(call)),
    onProgress: (done) => {
      if (done % 1000 === 0) process.stderr.write(`  ${done} calls\n`);
    },
  });
  const after = await settled();
  writeFileSync(join(dir, 'result.json'), JSON.stringify({ ...result, before, after }));
}

function parent() {
  const dir = mkdtempSync(join(tmpdir(), 'rnnkit-fuzz-run-'));
  const script = fileURLToPath(import.meta.url);
  console.log(`fuzzing rnnkit's API: ${runs} calls, seed ${seed} (child process)`);
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--expose-gc', script, '--runs', String(runs), '--seed', String(seed), '--child', dir], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  let result = null;
  try {
    result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
  } catch {
    // No result: the child died.
  }
  if (result === null) {
    let last = '(none)';
    try {
      last = readFileSync(join(dir, 'call.json'), 'utf8');
    } catch {
      // no call was recorded before the child died
    }
    console.log(`ABORT: the child ended with ${run.signal ? `signal ${run.signal}` : `exit code ${run.status}`} after ${seconds} s, during the call:\n  ${last}`);
    rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  }
  rmSync(dir, { recursive: true, force: true });

  console.log(`\n${result.runs} calls in ${seconds} s, seed ${result.seed}`);
  console.log('\noutcome            calls');
  for (const [outcome, n] of Object.entries(result.outcomes).sort((a, b) => b[1] - a[1])) console.log(`${outcome.padEnd(18)} ${String(n).padStart(6)}`);
  console.log('\ncall                       ok  errors (by class)');
  for (const [name, tally] of Object.entries(result.byCall).sort()) {
    const errors = Object.entries(tally).filter(([k]) => k !== 'ok').map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(`${name.padEnd(24)} ${String(tally.ok ?? 0).padStart(5)}  ${errors}`);
  }
  console.log(`\nmemory() before: ${result.before.tensors} tensors, ${result.before.bytes} bytes; after: ${result.after.tensors} tensors, ${result.after.bytes} bytes`);
  const memoryOk = result.before.tensors === result.after.tensors && result.before.bytes === result.after.bytes;
  console.log(`\nfindings: ${result.findings.length}`);
  for (const f of result.findings) console.log(`- ${f.outcome}: ${f.message}\n    call: ${f.call}\n    ${f.stack.split('\n').slice(1, 3).join('\n    ')}`);
  const ok = result.findings.length === 0 && memoryOk && result.runs === runs;
  console.log(ok ? '\nPASS' : '\nFAIL');
  process.exit(ok ? 0 : 1);
}

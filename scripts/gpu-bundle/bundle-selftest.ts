// `run.sh --selftest` on a machine without a GPU: the bundle's own pieces work. Its Node.js loads
// the bundled addon (RNNKIT_ADDON) with the oneDNN beside it, not a system copy; three Adam steps
// of a small BiLSTM classifier on the CPU lower the loss of a fixed batch; and the CUDA backend is
// present but unavailable for the reason of a GPU-less machine (no driver). Exits non-zero,
// naming the failed check, otherwise.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as rk from 'rnnkit';

function check(ok: boolean, what: string): void {
  if (!ok) {
    console.error(`bundle-selftest: FAILED: ${what}`);
    process.exit(1);
  }
}

const addonDir = path.dirname(process.env.RNNKIT_ADDON ?? '');
check(addonDir !== '.', 'RNNKIT_ADDON is not set (run.sh sets it to the bundle\'s addon)');

rk.seed(1);
const model = new rk.nn.SequenceClassifier({ vocabSize: 30, numClasses: 3, embeddingDim: 8, hiddenSize: 12, numLayers: 2, bidirectional: true });
const optimizer = new rk.optim.Adam(model.parameters(), { lr: 0.05 });
const ids = rk.tensor(Int32Array.from({ length: 4 * 7 }, (_, i) => 1 + ((i * 11) % 29)), { shape: [4, 7] });
const targets = rk.tensor(Int32Array.from([0, 1, 2, 1]), { shape: [4] });
const lengths = Int32Array.from([7, 3, 5, 6]);
const losses: number[] = [];
for (let step = 0; step < 3; step++) {
  optimizer.zeroGrad();
  const loss = rk.tidy(() => rk.crossEntropy(model.forward(ids, { lengths }), targets));
  loss.backward();
  optimizer.step();
  losses.push((await loss.data())[0]!);
  loss.dispose();
}
check(losses.every(Number.isFinite) && losses[2]! < losses[1]! && losses[1]! < losses[0]!, `three Adam steps on the CPU lower the loss (got ${losses.join(', ')})`);

const maps = readFileSync('/proc/self/maps', 'utf8');
const dnnl = [...new Set(maps.split('\n').filter((l) => l.includes('libdnnl.so')).map((l) => l.slice(l.indexOf('/'))))];
check(dnnl.length === 1 && dnnl[0]!.startsWith(addonDir), `oneDNN comes from the bundle's ${addonDir} (mapped: ${dnnl.join(', ') || 'none'})`);

const cuda = rk.backends().filter((b) => b.name === 'cuda');
check(cuda.length > 0, 'the bundled addon has a CUDA backend');
check(cuda.every((b) => !b.available && /libcuda\.so\.1/.test(b.detail)), `without a driver the CUDA backend says so (got: ${cuda.map((b) => b.detail).join('; ')})`);

console.log(`bundle-selftest: ok: CPU training (loss ${losses.map((l) => l.toFixed(4)).join(' -> ')}), oneDNN from ${dnnl[0]}, CUDA unavailable: ${cuda[0]!.detail}`);

// The focused leak check of scripts/reliability/sanitize.sh (run under LeakSanitizer): a workload
// over the native paths (creation, elementwise and reduction ops, matmul, the fused RNN forward
// and backward, optimizers, dropout, safetensors encode/decode, and failing calls that throw from
// native code), after which every tensor is disposed and garbage is collected, so the native
// side should hold nothing but its process-wide state when the process exits.

import * as rk from 'rnnkit';

const ROUNDS = 20;

/** The workload; its modules become garbage when it returns. Returns the failures it provoked. */
async function workload() {
  rk.setDeterministic(true, { seed: 3 });
  const lstm = new rk.nn.LSTM({ inputSize: 4, hiddenSize: 6, numLayers: 2, bidirectional: true, dropout: 0.2 });
  const gru = new rk.nn.GRU({ inputSize: 4, hiddenSize: 5 });
  const head = new rk.nn.Linear(12, 3);
  const params = [...lstm.parameters(), ...gru.parameters(), ...head.parameters()];
  const optimizer = new rk.optim.Adam(params, { lr: 1e-2 });
  let failures = 0;
  for (let round = 0; round < ROUNDS; round++) {
    rk.tidy(() => {
      const x = rk.tensor(Array.from({ length: 3 * 5 * 4 }, (_, i) => Math.sin(i + round)), { shape: [3, 5, 4] });
      const { output, state } = lstm.forward(x, { lengths: new Int32Array([5, 2, 4]) });
      const g = gru.forward(x);
      const logits = head.forward(rk.reshape(rk.narrow(output, 1, 0, 1), [3, 12]));
      const loss = rk.add(rk.crossEntropy(logits, rk.tensor(new Int32Array([0, 2, 1]))), rk.mean(rk.mul(g.output, g.output)));
      optimizer.zeroGrad();
      loss.backward();
      rk.optim.clipGradNorm(params, 1).dispose();
      optimizer.step();
      rk.softmax(rk.matmul(rk.transpose(state.h.contiguous().reshape([4, 18])), rk.ones([4, 2]))).dataSync();
      rk.dropout(rk.exp(rk.log(rk.sigmoid(x))), 0.5).dataSync();
      rk.max(rk.concat([x, x], 1), 2).dataSync();
    });
    // Calls that fail inside the addon must free what they made.
    for (const bad of [
      () => rk.matmul(rk.ones([2, 3]), rk.ones([4, 2])),
      () => rk.gather(rk.ones([3, 2]), rk.tensor(new Int32Array([5]))),
      () => lstm.forward(rk.ones([2, 3, 9])),
      () => rk.full([2 ** 40, 2 ** 40], 1),
      () => rk.crossEntropy(rk.ones([2, 3]), rk.tensor(new Int32Array([0, 7]))),
    ]) {
      try {
        rk.tidy(bad);
      } catch (err) {
        if (!(err instanceof rk.RnnkitError)) throw err;
        failures++;
      }
    }
    const bytes = await rk.io.encode(lstm.stateDict(), { round: String(round) });
    const decoded = rk.io.decode(bytes);
    for (const t of Object.values(decoded.tensors)) t.dispose();
    try {
      rk.io.decode(bytes.subarray(0, bytes.length - 3));
    } catch {
      failures++;
    }
  }
  optimizer.dispose();
  for (const p of params) {
    p.grad?.dispose();
    p.grad = null;
  }
  await rk.sync();
  return failures;
}

const failures = await workload();
// The modules are garbage now: collect, so the finalizers free their parameters' storage.
for (let i = 0; i < 5; i++) {
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 20));
}
await rk.sync();
const m = rk.memory();
console.log(`leak-check: ${ROUNDS} rounds, ${failures} expected failures; live tensors at exit: ${m.tensors}, bytes: ${m.bytes}`);
if (m.tensors !== 0 || m.bytes !== 0) process.exitCode = 1;

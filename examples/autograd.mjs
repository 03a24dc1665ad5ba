import * as rk from 'rnnkit';

// One dense layer y = tanh(x·W + b) and its mean squared error against a target.
const x = rk.tensor([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]]); // [2, 3]
const W = rk.tensor([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]], { requiresGrad: true }); // [3, 2]
const b = rk.zeros([2], { requiresGrad: true });
const target = rk.tensor([[1, 0], [0, 1]]);

// tidy() frees the intermediates (x·W, +b, tanh) and keeps the returned loss.
const loss = rk.tidy(() => rk.mse(rk.tanh(rk.add(rk.matmul(x, W), b)), target));
loss.backward(); // fills W.grad and b.grad

console.log('loss:', (await loss.data())[0].toFixed(6));
console.log('dL/dW:', Array.from(await W.grad.data(), (v) => v.toFixed(6)).join(' '));
console.log('dL/db:', Array.from(await b.grad.data(), (v) => v.toFixed(6)).join(' '));
console.log('live tensors:', rk.memory().tensors);

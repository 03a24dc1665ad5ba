// Devices on any machine: names are checked and normalised, the default device is the first
// working GPU or the CPU, and without a working GPU every CUDA request is a DeviceError carrying
// the backend's reason while the model or tensor stays as it was. Moving to the device a model is
// already on keeps every parameter as it is. (Moves between devices: test/gpu/ops.gpu.test.ts.)

import { describe, expect, it } from 'vitest';
import * as rk from '../lib/index.js';
import { gpuDevice, noGpuReason } from './gpu/helpers.js';
import { uniform } from './helpers.js';

const BAD_NAMES: unknown[] = ['gpu', 'CUDA', 'cuda:', 'cuda:-1', 'cuda:1.5', 'cuda0', ' cpu', 'cpu:0', '', 0, null, {}];

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('device names', () => {
  it('a malformed device is a DeviceError naming the op, the argument and the accepted forms', async () => {
    for (const bad of BAD_NAMES) {
      const device = bad as rk.Device;
      const err = errorOf(() => rk.tensor([1], { device }));
      expect(err).toBeInstanceOf(rk.DeviceError);
      expect(err.message).toMatch(/^tensor: options.device must be 'cpu', 'cuda' or 'cuda:N', got /);
      expect(() => rk.zeros([1], { device })).toThrow(/^full: options.device must be/);
      expect(() => rk.setDefaultDevice(device)).toThrow(/^setDefaultDevice: device must be/);
      await expect(rk.sync(device)).rejects.toThrow(/^sync: device must be/);
    }
    const t = rk.tensor([1, 2]);
    expect(() => t.to('tpu' as rk.Device)).toThrow(/^to: device must be 'cpu', 'cuda' or 'cuda:N', got 'tpu'/);
    const model = new rk.nn.Linear(2, 2);
    expect(() => model.to('tpu' as rk.Device)).toThrow(/^Module.to: device must be/);
    t.dispose();
  });

  it("'cpu' is accepted everywhere a device is; device(name) checks and normalises a name", async () => {
    expect(rk.device('cpu')).toBe('cpu');
    expect(() => rk.device('gpu' as rk.Device)).toThrow(/^device: name must be 'cpu', 'cuda' or 'cuda:N', got 'gpu'/);
    if (gpuDevice !== null) expect(rk.device('cuda')).toBe('cuda:0');
    else expect(() => rk.device('cuda')).toThrow(`device: name is 'cuda', but device 'cuda:0' is not available: ${noGpuReason}`);
    const t = rk.tensor([1, 2], { device: 'cpu' });
    expect(t.device).toBe('cpu');
    expect(rk.full([2], 3, { device: 'cpu' }).device).toBe('cpu');
    await rk.sync('cpu');
    await rk.sync();
    t.dispose();
  });
});

describe.skipIf(gpuDevice !== null)('without a working CUDA device', () => {
  it('backends() says why, and defaultDevice() is the CPU, where tensors, parameters and layers go', () => {
    expect(noGpuReason.length).toBeGreaterThan(10);
    expect(rk.defaultDevice()).toBe('cpu');
    expect(rk.tensor([1]).device).toBe('cpu');
    expect(rk.ones([2]).device).toBe('cpu');
    const lstm = new rk.nn.LSTM({ inputSize: 2, hiddenSize: 3 });
    expect(new Set(lstm.parameters().map((p) => p.device))).toEqual(new Set(['cpu']));
    expect(new rk.nn.Embedding(4, 2).weight.device).toBe('cpu');
  });

  it("'cuda', 'cuda:0' and 'cuda:3' are DeviceErrors naming the normalised device and the backend's reason", async () => {
    for (const [name, normal] of [['cuda', 'cuda:0'], ['cuda:0', 'cuda:0'], ['cuda:3', 'cuda:3']] as const) {
      const err = errorOf(() => rk.zeros([2], { device: name }));
      expect(err).toBeInstanceOf(rk.DeviceError);
      expect(err.message).toContain(`full: options.device is '${name}', but device '${normal}' is not available: ${noGpuReason}`);
      expect(() => rk.tensor([1], { device: name })).toThrow(rk.DeviceError);
      expect(() => rk.setDefaultDevice(name)).toThrow(rk.DeviceError);
      await expect(rk.sync(name)).rejects.toThrow(rk.DeviceError);
      await expect(rk.io.loadTensors('missing.safetensors', { device: name })).rejects.toThrow(rk.DeviceError);
    }
    expect(rk.defaultDevice()).toBe('cpu');
  });

  it('Tensor.to and Module.to a CUDA device throw and leave the tensor and the model as they were', () => {
    const t = rk.tensor([1, 2, 3]);
    expect(() => t.to('cuda')).toThrow(rk.DeviceError);
    expect(t.disposed).toBe(false);
    rk.seed(4);
    const model = new rk.nn.SequenceClassifier({ vocabSize: 6, numClasses: 2, embeddingDim: 3, hiddenSize: 4 });
    const before = model.namedParameters().map(([name, p]) => [name, p, Array.from(p.dataSync())] as const);
    expect(() => model.to('cuda:0')).toThrow(`Module.to: device is 'cuda:0', but device 'cuda:0' is not available: ${noGpuReason}`);
    model.namedParameters().forEach(([name, p], i) => {
      expect([name, p.device]).toEqual([before[i]![0], 'cpu']);
      expect(p).toBe(before[i]![1]);
      expect(Array.from(p.dataSync())).toEqual(before[i]![2]);
    });
    t.dispose();
  });
});

describe("to() the device a tensor or model is already on", () => {
  it('Tensor.to returns the tensor itself; Module.to returns the module with every parameter, value and gradient kept', () => {
    const device = rk.defaultDevice();
    const t = rk.tensor([1, 2], { requiresGrad: true });
    expect(t.to(device)).toBe(t);
    rk.seed(6);
    const model = new rk.nn.SequenceClassifier({ vocabSize: 7, numClasses: 3, embeddingDim: 4, hiddenSize: 5, pooling: 'mean' });
    const ids = rk.tensor(Int32Array.from(uniform(2 * 4, 3, 0, 7), Math.floor), { shape: [2, 4] });
    const lengths = Int32Array.of(4, 2);
    rk.tidy(() => rk.sum(model.forward(ids, { lengths })).backward());
    const params = model.parameters();
    const grads = params.map((p) => p.grad);
    const out = rk.noGrad(() => model.forward(ids, { lengths }).dataSync());
    expect(model.to(device)).toBe(model);
    model.parameters().forEach((p, i) => {
      expect(p).toBe(params[i]);
      expect(p.grad).toBe(grads[i]);
      expect(p.device).toBe(device);
    });
    expect(Array.from(rk.noGrad(() => model.forward(ids, { lengths }).dataSync()))).toEqual(Array.from(out));
    ids.dispose();
    t.dispose();
  });
});

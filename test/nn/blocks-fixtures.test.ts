// nn.LayerNorm, nn.Conv1d, nn.MultiheadAttention and nn.AttentionPooling against PyTorch
// (test/fixtures/nn.json, made by test/fixtures/make_nn_fixtures.py): the same parameters under
// PyTorch's names loaded strictly, the same inputs; outputs, attention weights and the gradients
// of every input and parameter of a random linear loss must match.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { expectClose } from '../helpers.js';
import { values, type Encoded } from '../rnn-fixtures.js';

interface NnCase {
  name: string;
  kind: 'layer_norm' | 'conv1d' | 'mha' | 'attention_pooling';
  config: Config;
  params: Record<string, Encoded>;
  inputs: Record<string, Encoded>;
  output: Encoded;
  weights: Encoded | null;
  wOut: Encoded;
  wWeights: Encoded | null;
  grads: Record<string, Encoded>;
}

const cases = (JSON.parse(readFileSync(new URL('../fixtures/nn.json', import.meta.url), 'utf8')) as { cases: NnCase[] }).cases;
const decode = (e: Encoded, requiresGrad = false) => rk.tensor(values(e), { shape: e.shape, requiresGrad });
const read = (t: rk.Tensor): number[] => Array.from(t.dataSync());

type Layer = rk.nn.LayerNorm | rk.nn.Conv1d | rk.nn.AttentionPooling | rk.nn.MultiheadAttention;
/** The union of the cases' config fields (each kind uses its own). */
interface Config {
  normalizedShape: number[];
  eps: number;
  elementwiseAffine: boolean;
  bias: boolean;
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  stride: number;
  padding: number | 'same' | 'valid';
  dilation: number;
  groups: number;
  inputSize: number;
  hiddenSize: number;
  lengths: number[] | null;
  embedDim: number;
  numHeads: number;
  batchFirst: boolean;
  kdim: number | null;
  vdim: number | null;
  L: number;
  S: number;
  attnMask: 'causal' | 'float3d' | null;
  needWeights: boolean;
  averageAttnWeights: boolean;
}

/** The rnnkit layer of a case's config. */
function build(c: NnCase): Layer {
  const k = c.config;
  if (c.kind === 'layer_norm') return new rk.nn.LayerNorm(k.normalizedShape, { eps: k.eps, elementwiseAffine: k.elementwiseAffine, bias: k.bias });
  if (c.kind === 'conv1d') {
    return new rk.nn.Conv1d(k.inChannels, k.outChannels, k.kernelSize, {
      stride: k.stride, padding: k.padding, dilation: k.dilation, groups: k.groups, bias: k.bias,
    });
  }
  if (c.kind === 'attention_pooling') return new rk.nn.AttentionPooling(k.inputSize, { hiddenSize: k.hiddenSize });
  return new rk.nn.MultiheadAttention(k.embedDim, k.numHeads, { bias: k.bias, batchFirst: k.batchFirst, ...(k.kdim !== null && k.vdim !== null ? { kdim: k.kdim, vdim: k.vdim } : {}) });
}

/** The layer on the case's inputs: its output and attention weights (null where it has none). */
function apply(c: NnCase, layer: Layer, inputs: Record<string, rk.Tensor<'float32'>>): { output: rk.Tensor<'float32'>; weights: rk.Tensor<'float32'> | null } {
  const k = c.config;
  if (layer instanceof rk.nn.LayerNorm || layer instanceof rk.nn.Conv1d) return { output: layer.forward(inputs.x!), weights: null };
  if (layer instanceof rk.nn.AttentionPooling) return layer.attend(inputs.x!, k.lengths === null ? {} : { lengths: k.lengths });
  const q = inputs.query!;
  const options: rk.nn.MultiheadAttentionForwardOptions = { needWeights: k.needWeights, averageAttnWeights: k.averageAttnWeights };
  if (k.lengths) options.lengths = k.lengths;
  if (k.attnMask === 'causal') {
    const { L, S } = k;
    // PyTorch's triu(ones, 1) as int32: 1 (masked) above the diagonal.
    options.attnMask = rk.tensor(Int32Array.from({ length: L * S }, (_, i) => Number(i % S > Math.floor(i / S))), { shape: [L, S] });
  } else if (k.attnMask === 'float3d') {
    options.attnMask = inputs.attnMask!;
  }
  return layer.forward(q, inputs.key ?? q, inputs.value ?? q, options);
}

describe('composed layers match PyTorch', () => {
  it('the fixtures cover every layer and variant', () => {
    const kinds = new Set(cases.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(['attention_pooling', 'conv1d', 'layer_norm', 'mha']);
    expect(cases.length).toBeGreaterThanOrEqual(16);
  });

  for (const c of cases) {
    it(c.name, () => {
      const layer = build(c);
      // Strict: PyTorch's names and shapes, no more and no less.
      layer.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([n, e]) => [n, decode(e)])));
      expect(layer.namedParameters().map(([n]) => n)).toEqual(Object.keys(c.params));
      rk.tidy(() => {
        const inputs = Object.fromEntries(Object.entries(c.inputs).map(([n, e]) => [n, decode(e, n !== 'attnMask')]));
        const { output, weights } = apply(c, layer, inputs);
        expect([...output.shape]).toEqual(c.output.shape);
        expectClose(read(output), values(c.output), 1e-5);
        if (c.weights === null) {
          expect(weights).toBeNull();
        } else {
          expect([...weights!.shape]).toEqual(c.weights.shape);
          expectClose(read(weights!), values(c.weights), 1e-5);
        }
        let loss = rk.sum(rk.mul(output, decode(c.wOut)));
        if (weights !== null && c.wWeights !== null) loss = rk.add(loss, rk.sum(rk.mul(weights, decode(c.wWeights))));
        loss.backward();
        const params = new Map(layer.namedParameters());
        for (const [name, expected] of Object.entries(c.grads)) {
          const leaf = inputs[name] ?? params.get(name);
          expect(leaf?.grad, `gradient of ${name}`).toBeTruthy();
          expectClose(read(leaf!.grad!), values(expected), 1e-4);
        }
        expect(Object.keys(c.grads).length).toBe(Object.keys(c.inputs).filter((n) => n !== 'attnMask').length + params.size);
      });
      for (const p of layer.parameters()) p.grad?.dispose();
    });
  }
});

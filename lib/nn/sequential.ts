// nn.Sequential: modules applied one after another; parameters named by position (0.weight).

import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** A module whose forward maps one tensor to one tensor. */
export interface TensorModule extends Module {
  forward(x: Tensor): Tensor;
}

export class Sequential extends Module {
  readonly layers: readonly TensorModule[];

  constructor(...layers: TensorModule[]) {
    super();
    layers.forEach((layer, i) => {
      if (!(layer instanceof Module) || typeof layer.forward !== 'function') {
        throw new ArgumentError(`nn.Sequential: layers[${i}] must be a module with forward(x)`);
      }
      this.registerModule(String(i), layer);
    });
    this.layers = Object.freeze([...layers]);
  }

  /** Each layer's output feeds the next; intermediates are disposed. */
  forward(x: Tensor): Tensor {
    let out = x;
    for (const layer of this.layers) {
      const next = layer.forward(out);
      if (out !== x) out.dispose();
      out = next;
    }
    return out;
  }
}

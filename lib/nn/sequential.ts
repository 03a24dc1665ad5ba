// nn.Sequential: modules applied one after another; parameters named by position (0.weight).
// Recurrent layers compose too: Sequential passes `lengths` to the layers that take them (a
// recurrent layer, or a module with takesLengths, such as nn.AttentionPooling or a nested
// Sequential — Keras' supports_masking, spelled as lengths) and a recurrent layer's output (not
// its final state) on to the next layer, so embedding → LSTM → attention pooling → linear is one
// model that fit() trains.

import { checkOptions } from '../args.js';
import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import { RecurrentLayer } from './rnn.js';

/** A module whose forward maps one tensor to one float32 tensor. */
export interface TensorModule extends Module {
  forward(x: Tensor): Tensor<'float32'>;
}

/** What Sequential passes to the layers that take it. */
export interface SequenceOptions {
  /** Each sequence's length, for the layers that take lengths. */
  lengths?: Int32Array | readonly number[];
}

/** A module that takes each sequence's length: Sequential passes `options.lengths` to it. */
export interface LengthsModule extends Module {
  readonly takesLengths: true;
  forward(x: Tensor, options?: SequenceOptions): Tensor<'float32'>;
}

export type SequentialLayer = TensorModule | LengthsModule | RecurrentLayer;

export class Sequential extends Module {
  readonly takesLengths = true;
  readonly layers: readonly SequentialLayer[];

  constructor(...layers: SequentialLayer[]) {
    super();
    if (layers.length === 0) throw new ArgumentError('nn.Sequential: needs at least one layer');
    layers.forEach((layer, i) => {
      if (!(layer instanceof Module) || typeof (layer as Partial<TensorModule>).forward !== 'function') {
        throw new ArgumentError(`nn.Sequential: layers[${i}] must be a module with forward(x)`);
      }
      this.registerModule(String(i), layer);
    });
    this.layers = Object.freeze([...layers]);
  }

  /**
   * Each layer's output feeds the next; intermediates are disposed. options.lengths goes to the
   * layers that take lengths (each checks it); a recurrent layer's final state is dropped.
   */
  forward(x: Tensor, options?: SequenceOptions): Tensor<'float32'> {
    const { lengths } = checkOptions('nn.Sequential.forward', options, ['lengths'] as const);
    const withLengths = lengths === undefined ? {} : { lengths: lengths as SequenceOptions['lengths'] };
    let out: Tensor = x;
    for (const layer of this.layers) {
      const next = this.#apply(layer, out, withLengths);
      if (out !== x) out.dispose();
      out = next;
    }
    return out as Tensor<'float32'>;
  }

  #apply(layer: SequentialLayer, x: Tensor, options: SequenceOptions): Tensor<'float32'> {
    if (layer instanceof RecurrentLayer) {
      const { output, state } = layer.forward(x as Tensor<'float32'>, options);
      state.h.dispose();
      state.c?.dispose();
      return output;
    }
    if ((layer as Partial<LengthsModule>).takesLengths === true) return (layer as LengthsModule).forward(x, options);
    return (layer as TensorModule).forward(x);
  }
}

// Starts a language model's generation in the native layer (Binding.generate): the decoding loop
// runs in one task on the model's device, and the tokens come back in batches.

import type { GeneratedBatch, NativeGeneration } from '../binding.js';
import { OOV_ID, PAD_ID } from '../data/tokenizers.js';
import { fromNative } from '../errors.js';
import type { LanguageModel } from '../nn/language-model.js';
import { callNative, handle } from '../ops/call.js';
import type { CheckedOptions } from './generate-options.js';

/** Padding and out-of-vocabulary ids are never generated. */
const EXCLUDED = Int32Array.of(PAD_ID, OOV_ID);

/** A running generation whose next() rejects with rnnkit's typed errors. */
export interface TokenBatches {
  next(): Promise<GeneratedBatch | null>;
  cancel(): void;
}

export function startGeneration(op: string, model: LanguageModel, args: CheckedOptions): TokenBatches {
  const { rnn, embedding } = model;
  const table = handle(op, 'the embedding table', embedding.weight);
  const headWeight = model.head ? handle(op, 'the head weight', model.head.weight) : table;
  const headBias = model.head ? model.head.bias : model.headBias;
  const bias = headBias && handle(op, 'the head bias', headBias);
  const weights = rnn.weightsHandle(op);
  const { ids, lengths } = padded(args.prompts);
  const seeds = Uint32Array.from(args.prompts, (_, i) => (args.seed + i) >>> 0);
  const run: NativeGeneration = callNative((n) =>
    n.generate(rnn.config, weights, table, headWeight, bias, ids, lengths, args.maxTokens, args.temperature, args.topK, args.topP, seeds, EXCLUDED),
  );
  return {
    async next() {
      try {
        return await run.next();
      } catch (err) {
        throw fromNative(err);
      }
    },
    cancel: () => run.cancel(),
  };
}

/** The prompts as rows [batch, longest] padded with PAD_ID, and their lengths. */
function padded(prompts: readonly Int32Array[]): { ids: Int32Array; lengths: Int32Array } {
  const lengths = Int32Array.from(prompts, (p) => p.length);
  const time = Math.max(...lengths);
  const ids = new Int32Array(prompts.length * time).fill(PAD_ID);
  prompts.forEach((p, row) => ids.set(p, row * time));
  return { ids, lengths };
}

// Buckets (DDP's gradient buckets): tensors grouped, in the order given, into runs of about
// `bucketBytes`, each flattened into one contiguous tensor so one collective moves the whole run
// instead of one call per tensor; the result is copied back into the tensors it came from.

import { noGrad } from '../autograd.js';
import { concat } from '../ops/concat.js';
import { narrow, reshape } from '../ops/views.js';
import { copyInto } from '../nn/module.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';

/** Runs of consecutive tensors whose float32 bytes add up to about bucketBytes (a bigger tensor is a bucket alone). */
export function planBuckets<T extends Tensor>(tensors: readonly T[], bucketBytes: number): T[][] {
  const buckets: T[][] = [];
  let bytes = Infinity;
  for (const t of tensors) {
    const size = t.size * 4;
    if (bytes + size > bucketBytes) {
      buckets.push([]);
      bytes = 0;
    }
    buckets.at(-1)!.push(t);
    bytes += size;
  }
  return buckets;
}

/**
 * For each bucket: its tensors concatenated into one flat float32 tensor, `collective` on it (in
 * place), then each tensor's part copied back into it. Every step is queued on the stream in
 * order, so the collectives of all buckets are queued before the first resolves; the promise
 * settles when they all have.
 */
export async function throughBuckets(buckets: readonly (readonly Tensor[])[], collective: (flat: Tensor) => Promise<void>): Promise<void> {
  const done = buckets.map((bucket) => {
    // Off the tape: parameters (broadcast) require grad, and none of this is to be differentiated.
    const flat = noGrad(() => tidy(() => concat(bucket.map((t) => reshape(t, [-1])))));
    const reduced = collective(flat);
    noGrad(() => tidy(() => {
      let start = 0;
      for (const t of bucket) {
        copyInto('DataParallel', t, reshape(narrow(flat, 0, start, t.size), t.shape));
        start += t.size;
      }
    }));
    flat.dispose();
    return reduced;
  });
  await Promise.all(done);
}

// Do all ranks hold the same model? Each rank describes its parameters (name, shape, dtype,
// whether it trains) one line each; two allGathers (the lengths, then the padded texts) give every
// rank every description, and every rank finds the same first difference, so all refuse together
// with one message instead of a collective failing later on mismatched sizes.

import { DistributedError } from '../errors.js';
import { tensor } from '../ops/creation.js';
import type { Parameter } from '../nn/module.js';
import type { GlooGroup } from './gloo.js';

const describeParam = ([name, p]: [string, Parameter]): string => `'${name}' [${p.shape.join(', ')}] ${p.dtype}${p.requiresGrad ? '' : ' frozen'}`;

/** Every rank's int32 values (all of one length), read back and freed: [rank][i]. */
async function gatherInts(group: GlooGroup, values: Int32Array): Promise<Int32Array[]> {
  const local = tensor(values);
  try {
    const gathered = await group.allGather(local);
    const all = (await gathered.data()) as Int32Array;
    gathered.dispose();
    return Array.from({ length: group.worldSize }, (_, r) => all.subarray(r * values.length, (r + 1) * values.length));
  } finally {
    local.dispose();
  }
}

async function gatherTexts(group: GlooGroup, text: string): Promise<string[]> {
  const codes = Int32Array.from(text, (c) => c.codePointAt(0)!);
  const all = (await gatherInts(group, Int32Array.from([codes.length]))).map((l) => l[0]!);
  const max = Math.max(1, ...all); // a tensor of zero elements is not gathered
  const padded = new Int32Array(max);
  padded.set(codes);
  const gathered = await gatherInts(group, padded);
  return all.map((len, r) => String.fromCodePoint(...gathered[r]!.subarray(0, len)));
}

/** The first difference between rank 0's parameter list and another rank's, or null when all agree. */
function firstDifference(lists: string[][]): string | null {
  const reference = lists[0]!;
  for (let r = 1; r < lists.length; r++) {
    const list = lists[r]!;
    for (let i = 0; i < Math.max(reference.length, list.length); i++) {
      const a = reference[i];
      const b = list[i];
      if (a === b) continue;
      if (a === undefined) return `rank ${r} has an extra parameter #${i} ${b} that rank 0 lacks`;
      if (b === undefined) return `rank 0's parameter #${i} ${a} is missing on rank ${r}`;
      return `parameter #${i} is ${a} on rank 0 but ${b} on rank ${r}`;
    }
  }
  return null;
}

/** Resolves when every rank's parameters match rank 0's; rejects on every rank with a DistributedError naming the first difference. */
export async function checkSameModel(op: string, group: GlooGroup, named: [string, Parameter][]): Promise<void> {
  const texts = await gatherTexts(group, named.map(describeParam).join('\n'));
  const difference = firstDifference(texts.map((t) => (t === '' ? [] : t.split('\n'))));
  if (difference !== null) throw new DistributedError(`${op}: the ranks' models differ: ${difference} (every rank must build the same model)`);
}

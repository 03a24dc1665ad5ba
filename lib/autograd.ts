// The autograd tape. Each differentiable op that sees an input with requiresGrad attaches a
// GradNode to its output: its inputs, the tensors it saved (aliases, so disposing the user's
// tensor or leaving a tidy() scope keeps them alive) and a backward function. backward() walks the
// nodes in reverse topological order, adds leaf gradients into `grad`, and frees the saved tensors.

import { ArgumentError, DeviceError, ShapeError, DTypeError } from './errors.js';
import { describe } from './dtype.js';
import { untracked } from './scope.js';
import { Tensor } from './tensor.js';
import { callNative, handle } from './ops/call.js';
import { add } from './ops/elementwise.js';
import { ones } from './ops/creation.js';

export type Float = Tensor<'float32'>;

/** Gradients of a node's inputs, in input order; null where an input gets none. */
export type BackwardFn = (grad: Float, saved: Tensor[]) => (Float | null)[];
/** The same for ops with several outputs: grads[i] is null where output i got no gradient. */
export type MultiBackwardFn = (grads: (Float | null)[], saved: Tensor[]) => (Float | null)[];

export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly numOutputs: number;
  readonly saved: Tensor[];
  readonly backward: MultiBackwardFn;
  /** Releases what the node holds besides saved tensors (e.g. a backend's reserve). */
  readonly onFree: (() => void) | undefined;
  freed: boolean;
}

export interface BackwardOptions {
  /** Gradient of the output, required when it is not a scalar; same shape. */
  gradient?: Tensor<'float32'>;
  /** Keep the saved tensors so backward() can run through this graph again. */
  retainGraph?: boolean;
}

let gradDisabled = 0;

/** Runs fn without recording anything on the tape (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ArgumentError(`noGrad: fn must be a function, got ${describe(fn)}`);
  gradDisabled++;
  try {
    return fn();
  } finally {
    gradDisabled--;
  }
}

export function isGradEnabled(): boolean {
  return gradDisabled === 0;
}

/** An alias of t (same storage and geometry) that belongs to no tidy() scope. */
function alias(t: Tensor): Tensor {
  const h = handle('autograd.save', 'tensor', t);
  return untracked(() => new Tensor(callNative((n) => n.view(h, h.shape, h.strides, h.offset))));
}

/** Whether an op on these inputs records a node: recording is on and one requires grad. */
export function needsGrad(inputs: readonly (Tensor | null)[]): boolean {
  return gradDisabled === 0 && inputs.some((t) => t?.requiresGrad === true);
}

/**
 * Attaches one tape node to all of an op's outputs if recording is on and an input requires
 * grad. `saved` are the tensors backward needs; they reach backward in the same order. `onFree`
 * runs when the graph is freed (after backward, unless retainGraph). Returns whether it recorded.
 */
export function recordMulti(
  op: string,
  outputs: readonly Tensor[],
  inputs: readonly Tensor[],
  saved: readonly Tensor[],
  backward: MultiBackwardFn,
  onFree?: () => void,
): boolean {
  if (!needsGrad(inputs)) return false;
  const node: GradNode = { op, inputs, numOutputs: outputs.length, saved: saved.map(alias), backward, onFree, freed: false };
  outputs.forEach((t, i) => {
    t.requiresGrad = true;
    t.gradFn = node;
    t.gradIndex = i;
  });
  return true;
}

/** recordMulti for the common single-output op. */
export function record<T extends Tensor>(
  op: string,
  output: T,
  inputs: readonly Tensor[],
  saved: readonly Tensor[],
  backward: BackwardFn,
): T {
  recordMulti(op, [output], inputs, saved, (grads, s) => backward(grads[0]!, s));
  return output;
}

function freeNode(node: GradNode): void {
  for (const t of node.saved) t.dispose();
  node.saved.length = 0;
  node.onFree?.();
  node.freed = true;
}

/** Nodes reachable from root, each after every node that consumes its outputs (iterative DFS). */
function topoOrder(root: GradNode): GradNode[] {
  const order: GradNode[] = [];
  const visited = new Set<GradNode>([root]);
  const stack: { node: GradNode; next: number }[] = [{ node: root, next: 0 }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next < frame.node.inputs.length) {
      const child = frame.node.inputs[frame.next++]!.gradFn;
      if (child && !visited.has(child)) {
        visited.add(child);
        stack.push({ node: child, next: 0 });
      }
    } else {
      order.push(frame.node);
      stack.pop();
    }
  }
  return order.reverse();
}

/** Adds g into a leaf's grad; g is consumed. */
function accumulateLeaf(leaf: Tensor, g: Float): void {
  if (leaf.grad === null) {
    leaf.grad = g;
    return;
  }
  const old = leaf.grad;
  leaf.grad = add(old, g);
  old.dispose();
  g.dispose();
}

/** Adds g into slot i of a pending gradient list; g is consumed. */
function accumulateSlot(slots: (Float | null)[], i: number, g: Float): void {
  const prev = slots[i];
  if (prev == null) {
    slots[i] = g;
    return;
  }
  slots[i] = add(prev, g);
  prev.dispose();
  g.dispose();
}

export function backward(root: Tensor, options: BackwardOptions = {}): void {
  handle('backward', 'tensor', root);
  if (!root.requiresGrad) {
    throw new ArgumentError(
      'backward: this tensor does not require grad (no input had requiresGrad = true, or it was computed under noGrad)',
    );
  }
  const { gradient, retainGraph = false } = options;
  if (gradient !== undefined) {
    handle('backward', 'options.gradient', gradient);
    if (gradient.dtype !== 'float32') throw new DTypeError(`backward: options.gradient must be float32, got ${gradient.dtype}`);
    if (gradient.device !== root.device) {
      throw new DeviceError(`backward: options.gradient is on ${gradient.device}, the output on ${root.device}`);
    }
    if (gradient.shape.join() !== root.shape.join()) {
      throw new ShapeError(
        `backward: options.gradient has shape [${gradient.shape.join(', ')}], expected the output's shape [${root.shape.join(', ')}]`,
      );
    }
  } else if (root.size !== 1) {
    throw new ShapeError(
      `backward: the output has shape [${root.shape.join(', ')}]; a gradient can be implied only for a one-element output (pass options.gradient)`,
    );
  }

  untracked(() =>
    noGrad(() => {
      // The caller's gradient stays theirs: the tape works on its own copy.
      const seed: Float = gradient ? add(gradient, 0) : ones(root.shape as number[], { device: root.device });
      const rootNode = root.gradFn;
      if (rootNode === null) {
        accumulateLeaf(root, seed);
        return;
      }
      const order = topoOrder(rootNode);
      const freed = order.find((node) => node.freed);
      if (freed) {
        seed.dispose();
        throw new ArgumentError(
          `backward: the graph through '${freed.op}' was freed by an earlier backward(); pass { retainGraph: true } to the first call to run backward twice`,
        );
      }
      const pending = new Map<GradNode, (Float | null)[]>();
      const rootSlots = new Array<Float | null>(rootNode.numOutputs).fill(null);
      rootSlots[root.gradIndex] = seed;
      pending.set(rootNode, rootSlots);
      for (const node of order) {
        const grads = pending.get(node);
        pending.delete(node);
        if (grads !== undefined) {
          const inputGrads = node.backward(grads, node.saved);
          for (const g of grads) g?.dispose();
          node.inputs.forEach((input, i) => {
            const gi = inputGrads[i] ?? null;
            if (gi === null) return;
            if (!input.requiresGrad) {
              gi.dispose();
            } else if (input.gradFn === null) {
              accumulateLeaf(input, gi);
            } else {
              const slots = pending.get(input.gradFn) ?? new Array<Float | null>(input.gradFn.numOutputs).fill(null);
              pending.set(input.gradFn, slots);
              accumulateSlot(slots, input.gradIndex, gi);
            }
          });
        }
        if (!retainGraph) freeNode(node);
      }
    }),
  );
}

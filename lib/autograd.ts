// The autograd tape. Each differentiable op that sees an input with requiresGrad attaches a
// GradNode to its output: its inputs, the tensors it saved (aliases, so disposing the user's
// tensor or leaving a tidy() scope keeps them alive) and a backward function. backward() walks the
// nodes in reverse topological order, adds leaf gradients into `grad`, and frees the saved tensors.

import { ArgumentError, ShapeError, DTypeError } from './errors.js';
import { untracked } from './scope.js';
import { Tensor } from './tensor.js';
import { callNative, handle } from './ops/call.js';
import { add } from './ops/elementwise.js';
import { ones } from './ops/creation.js';

export type Float = Tensor<'float32'>;

/** Gradients of a node's inputs, in input order; null where an input gets none. */
export type BackwardFn = (grad: Float, saved: Tensor[]) => (Float | null)[];

export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly saved: Tensor[];
  readonly backward: BackwardFn;
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

/**
 * Attaches a tape node to `output` if recording is on and an input requires grad. `saved` are
 * the tensors backward needs; they reach backward in the same order.
 */
export function record<T extends Tensor>(
  op: string,
  output: T,
  inputs: readonly Tensor[],
  saved: readonly Tensor[],
  backward: BackwardFn,
): T {
  if (gradDisabled > 0 || !inputs.some((t) => t.requiresGrad)) return output;
  output.requiresGrad = true;
  output.gradFn = { op, inputs, saved: saved.map(alias), backward, freed: false };
  return output;
}

function freeNode(node: GradNode): void {
  for (const t of node.saved) t.dispose();
  node.saved.length = 0;
  node.freed = true;
}

/** Tensors with a grad node reachable from root, parents after children (iterative DFS). */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: { t: Tensor; next: number }[] = [{ t: root, next: 0 }];
  visited.add(root);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const inputs = frame.t.gradFn?.inputs ?? [];
    if (frame.next < inputs.length) {
      const child = inputs[frame.next++]!;
      if (child.gradFn && !visited.has(child)) {
        visited.add(child);
        stack.push({ t: child, next: 0 });
      }
    } else {
      if (frame.t.gradFn) order.push(frame.t);
      stack.pop();
    }
  }
  return order;
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
      const seed: Float = gradient ?? ones(root.shape as number[]);
      if (root.gradFn === null) {
        accumulateLeaf(root, gradient ? add(seed, 0) : seed);
        return;
      }
      const order = topoOrder(root);
      for (const t of order) {
        if (t.gradFn!.freed) {
          throw new ArgumentError(
            `backward: the graph through '${t.gradFn!.op}' was freed by an earlier backward(); pass { retainGraph: true } to the first call to run backward twice`,
          );
        }
      }
      const grads = new Map<Tensor, Float>([[root, seed]]);
      for (let k = order.length - 1; k >= 0; k--) {
        const t = order[k]!;
        const node = t.gradFn!;
        const g = grads.get(t);
        grads.delete(t);
        if (g === undefined) continue;
        const inputGrads = node.backward(g, node.saved);
        if (g !== gradient) g.dispose();
        node.inputs.forEach((input, i) => {
          const gi = inputGrads[i] ?? null;
          if (gi === null) return;
          if (!input.requiresGrad) {
            gi.dispose();
          } else if (input.gradFn === null) {
            accumulateLeaf(input, gi);
          } else {
            const prev = grads.get(input);
            if (prev === undefined) {
              grads.set(input, gi);
            } else {
              grads.set(input, add(prev, gi));
              prev.dispose();
              gi.dispose();
            }
          }
        });
        if (!retainGraph) freeNode(node);
      }
    }),
  );
}

// Gradient clipping in place, with no round trip to the host: the total norm is computed and the
// gradients scaled in one native task; the norm comes back as a tensor (read it when you need it).

import { defaultDevice } from '../device.js';
import { describe, type Device } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import type { Parameter } from '../nn/module.js';
import { callNative, checkSameDevice, handle, nativeOp } from '../ops/call.js';
import { zeros } from '../ops/creation.js';
import { Tensor } from '../tensor.js';

/** The gradients to clip: those of parameters that have one and are not frozen (requiresGrad false). */
function gradsOf(op: string, params: unknown): Tensor<'float32'>[] {
  if (params instanceof Tensor) return params.grad && params.requiresGrad ? [params.grad] : [];
  if (typeof params !== 'object' || params === null || !(Symbol.iterator in params)) {
    throw new ArgumentError(`${op}: params must be a Tensor or an array (or iterable) of tensors, got ${describe(params)}`);
  }
  const grads: Tensor<'float32'>[] = [];
  let i = 0;
  for (const p of params as Iterable<unknown>) {
    if (!(p instanceof Tensor)) throw new ArgumentError(`${op}: params[${i}] must be a Tensor, got ${describe(p)}`);
    if (p.grad !== null && p.requiresGrad) grads.push(p.grad);
    i++;
  }
  return grads;
}

/** The device of the first parameter (the norm of no gradients is a zero there), else the default. */
function firstDevice(params: Iterable<Parameter> | Parameter): Device {
  const first = params instanceof Tensor ? params : (params as Iterable<Parameter>)[Symbol.iterator]().next().value;
  return first instanceof Tensor ? first.device : defaultDevice();
}

/**
 * Scales the gradients of `params` in place so that their total normType-norm (all gradients as
 * one vector) is at most maxNorm, as torch.nn.utils.clip_grad_norm_: each is multiplied by
 * min(1, maxNorm / (totalNorm + 1e-6)). Returns the total norm before clipping, a float32 tensor
 * of shape [] computed on the device (call .item() to read it). Parameters without a gradient and
 * frozen ones (requiresGrad false) are ignored; with none at all the norm is 0. normType: a number
 * > 0, or Infinity (max |g|). maxNorm = Infinity only measures the norm.
 */
export function clipGradNorm(params: Iterable<Parameter> | Parameter, maxNorm: number, normType = 2): Tensor<'float32'> {
  const op = 'clipGradNorm';
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) {
    throw new ArgumentError(`${op}: maxNorm must be a number >= 0 (Infinity: measure only), got ${describe(maxNorm)}`);
  }
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new ArgumentError(`${op}: normType must be a number > 0 or Infinity, got ${describe(normType)}`);
  }
  const grads = gradsOf(op, params);
  if (grads.length === 0) return zeros([], { device: firstDevice(params) });
  const handles = grads.map((g, i) => handle(op, `gradient ${i}`, g));
  checkSameDevice(op, grads.map((g, i) => [`gradient ${i}`, g] as const));
  return nativeOp((n) => n.clipGradNorm(handles, maxNorm, normType));
}

/** Clamps every gradient element of `params` (frozen ones left out) to [-clipValue, clipValue] in place (clip_grad_value_). */
export function clipGradValue(params: Iterable<Parameter> | Parameter, clipValue: number): void {
  const op = 'clipGradValue';
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) {
    throw new ArgumentError(`${op}: clipValue must be a number >= 0, got ${describe(clipValue)}`);
  }
  const grads = gradsOf(op, params);
  if (grads.length === 0) return;
  const handles = grads.map((g, i) => handle(op, `gradient ${i}`, g));
  checkSameDevice(op, grads.map((g, i) => [`gradient ${i}`, g] as const));
  callNative((n) => n.clampInPlace(handles, -clipValue, clipValue));
}

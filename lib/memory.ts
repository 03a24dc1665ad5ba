// Memory and device introspection: live tensors and bytes per device, the backends built.

import type { BackendInfo, DeviceMemory } from './binding.js';
import { checkDevice } from './device.js';
import type { Device } from './dtype.js';
import { fromNative } from './errors.js';
import { callNative } from './ops/call.js';

export interface MemoryInfo extends DeviceMemory {
  /** Live tensor handles and allocated storage bytes on each device. */
  byDevice: Record<string, DeviceMemory>;
}

/**
 * Live tensors (handles not yet disposed, including tensors the autograd tape saved) and the
 * bytes of storage they and queued work hold. Storage freed by queued work counts until that work
 * has run: `await sync()` first for an exact figure.
 */
export function memory(): MemoryInfo {
  const byDevice = callNative((n) => n.memory());
  let tensors = 0;
  let bytes = 0;
  for (const m of Object.values(byDevice)) {
    tensors += m.tensors;
    bytes += m.bytes;
  }
  return { tensors, bytes, byDevice };
}

/**
 * Resolves when all work queued so far on `device` (omitted: on every device in use) has run;
 * rejects with a queued failure.
 */
export async function sync(device?: Device): Promise<void> {
  const devices =
    device === undefined
      ? Object.keys(memory().byDevice).filter((d) => d === 'cpu' || d.startsWith('cuda:'))
      : [checkDevice('sync', 'device', device)];
  try {
    await Promise.all(devices.map((d) => callNative((n) => n.sync(d))));
  } catch (err) {
    throw fromNative(err);
  }
}

/** The compute backends this build has, and whether each can run here (and why not). */
export function backends(): BackendInfo[] {
  return callNative((n) => n.backends());
}

// Devices: checking device strings ('cpu', 'cuda' = 'cuda:0', 'cuda:N'), which CUDA devices work
// here (read from backends() once per process: a GPU does not come or go while it runs), and the
// default device that new tensors, layers and loaded checkpoints go to: the first working GPU,
// else the CPU.

import type { BackendInfo } from './binding.js';
import { describe, type Device } from './dtype.js';
import { DeviceError, fromNative } from './errors.js';
import { native } from './native.js';

interface CudaStatus {
  /** Working CUDA devices by name ('cuda:0', ...), in index order. */
  available: Map<string, BackendInfo>;
  /** Devices the backend reports as not working, with the reason of each ('cuda' for "none"). */
  unavailable: Map<string, string>;
}

let status: CudaStatus | null = null;
let chosenDefault: Device | null = null;

// native/core/cuda_module.cpp words a build without the CUDA module the same way.
const NO_CUDA_BUILD_PREFIX = 'this build of rnnkit has no CUDA backend';
const NO_CUDA_BUILD = `${NO_CUDA_BUILD_PREFIX} (it is built when nvcc and cuDNN are found; see the README's GPU section)`;

function cudaStatus(): CudaStatus {
  if (status === null) {
    let list: BackendInfo[];
    try {
      list = native.backends();
    } catch (err) {
      throw fromNative(err);
    }
    const cuda = list.filter((b) => b.name === 'cuda');
    const index = (b: BackendInfo): number => Number(b.device.slice('cuda:'.length));
    status = {
      available: new Map(cuda.filter((b) => b.available).sort((a, b) => index(a) - index(b)).map((b) => [b.device, b])),
      unavailable: new Map(cuda.filter((b) => !b.available).map((b) => [b.device, b.detail])),
    };
  }
  return status;
}

/** The working CUDA devices, 'cuda:0' first; empty without a GPU (or without a CUDA build). */
export function cudaDevices(): Device[] {
  return [...cudaStatus().available.keys()] as Device[];
}

/** Why CUDA device `name` ('cuda:N') cannot be used here, or null when it can. */
export function cudaUnavailableReason(name = 'cuda:0'): string | null {
  const { available, unavailable } = cudaStatus();
  if (available.has(name)) return null;
  const own = unavailable.get(name) ?? unavailable.get('cuda');
  if (own !== undefined) return own;
  if (available.size > 0) return `this machine has ${available.size} working CUDA device(s): ${[...available.keys()].join(', ')}`;
  return NO_CUDA_BUILD;
}

/**
 * Checks a device argument and returns it normalised ('cuda' → 'cuda:0'). A malformed name or a
 * CUDA device that does not work here is a DeviceError; the latter carries the backend's reason.
 */
export function checkDevice(op: string, arg: string, value: unknown): Device {
  if (value === 'cpu') return value;
  const m = typeof value === 'string' ? /^cuda(?::(\d{1,4}))?$/.exec(value) : null;
  if (m === null) throw new DeviceError(`${op}: ${arg} must be 'cpu', 'cuda' or 'cuda:N', got ${describe(value)}`);
  const name = `cuda:${Number(m[1] ?? 0)}` as const;
  const reason = cudaUnavailableReason(name);
  if (reason !== null) throw new DeviceError(`${op}: ${arg} is '${value}', but device '${name}' is not available: ${reason}`);
  return name;
}

/**
 * The device `name` normalised ('cuda' → 'cuda:0'), checked to work here: `rk.device('cuda')`
 * gives 'cuda:0' or a DeviceError that says why the GPU cannot be used.
 */
export function device(name: Device): Device {
  return checkDevice('device', 'name', name);
}

/**
 * Where tensors, layers and loaded checkpoints go when no device is given: setDefaultDevice()'s
 * choice, else the RNNKIT_DEVICE environment variable, else the first working CUDA device, else 'cpu'.
 */
export function defaultDevice(): Device {
  if (chosenDefault === null) {
    const fromEnv = process.env.RNNKIT_DEVICE;
    chosenDefault = fromEnv ? checkDevice('defaultDevice', 'RNNKIT_DEVICE', fromEnv) : (cudaDevices()[0] ?? 'cpu');
    if (!fromEnv && chosenDefault === 'cpu') warnCpuFallback();
  }
  return chosenDefault;
}

/**
 * The one warning of a CUDA build that falls back to the CPU (no driver, no GPU, cuDNN or cuBLAS
 * not found), naming what is missing; a CPU-only build stays silent.
 */
function warnCpuFallback(): void {
  const reason = cudaUnavailableReason();
  if (reason === null || reason.startsWith(NO_CUDA_BUILD_PREFIX)) return;
  process.emitWarning(`rnnkit's CUDA backend cannot run here, so it uses the CPU: ${reason}`, {
    code: 'RNNKIT_CUDA_UNAVAILABLE',
  });
}

/** Sets the device new tensors and layers go to when none is given (checked: it must work here). */
export function setDefaultDevice(device: Device): void {
  chosenDefault = checkDevice('setDefaultDevice', 'device', device);
}

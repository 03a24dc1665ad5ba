// The commands' --device flag. A device given becomes rnnkit's default device, so the model, its
// batches and a loaded checkpoint are all created there; without the flag, rnnkit's own default
// (RNNKIT_DEVICE, else the first working GPU, else the CPU).

import type { BackendInfo } from '../binding.js';
import { checkDevice, defaultDevice, setDefaultDevice } from '../device.js';
import type { Device } from '../dtype.js';
import { backends } from '../memory.js';

export const DEVICE_FLAG = {
  type: 'string',
  value: 'DEVICE',
  description: 'cpu, cuda or cuda:N (default: RNNKIT_DEVICE, else the first working GPU, else cpu)',
} as const;

/** The device the command runs on; a CUDA device that does not work here is a DeviceError with the reason. */
export function useDevice(flag: string | undefined): Device {
  if (flag !== undefined) setDefaultDevice(checkDevice('rnnkit', '--device', flag));
  return defaultDevice();
}

/** A backend's details: the GPU and library versions for a CUDA device, else its own line. */
export function deviceDetail(b: BackendInfo): string {
  const gpu = b.gpu ? `${b.gpu.name}, compute ${b.gpu.computeCapability}, ${(b.gpu.totalMemory / 2 ** 30).toFixed(1)} GiB; ` : '';
  const v = b.versions ? `; CUDA runtime ${b.versions.cudaRuntime}, driver ${b.versions.cudaDriver}, cuDNN ${b.versions.cudnn}, cuBLAS ${b.versions.cublas}` : '';
  return `${gpu}${b.detail}${v}`;
}

/** The device with its backend's details: 'cpu (oneDNN 2.6.3, 2 threads)'. */
export function deviceLine(device: string): string {
  const b = backends().find((x) => x.device === device);
  return b ? `${device} (${deviceDetail(b)})` : device;
}

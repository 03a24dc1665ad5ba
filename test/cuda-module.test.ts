// The CUDA-enabled build (CMake with RNNKIT_CUDA=ON: rnnkit.node + rnnkit_cuda.so, which CI
// builds in build-cuda-check/ before `npm test`) on a machine where CUDA cannot run: the addon
// still loads, backends() says why CUDA is unavailable, CUDA devices throw DeviceError's code
// with that reason, and the CPU keeps working. Skipped, with the reason in its name, when that
// build is absent; on a machine where CUDA works the unavailable-path checks are skipped instead
// (test/gpu covers that machine).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BackendInfo, Binding } from '../lib/binding.js';

const buildDir = path.resolve(import.meta.dirname, '..', 'build-cuda-check', 'Release');
const addonFile = path.join(buildDir, 'rnnkit.node');
const moduleFile = path.join(buildDir, 'rnnkit_cuda.so');
const built = existsSync(addonFile) && existsSync(moduleFile);
const title = built
  ? `the CUDA-enabled addon (${addonFile})`
  : `the CUDA-enabled addon: SKIPPED, ${existsSync(addonFile) ? moduleFile : addonFile} is not built ` +
    '(CI builds it; locally: npx cmake-js build --out build-cuda-check --CDRNNKIT_CUDA=ON)';

const distIndex = path.resolve(import.meta.dirname, '..', 'dist', 'index.js');
const linkOnlyCudnn = path.resolve(import.meta.dirname, '..', '.deps', 'cuda', 'lib', 'libcudnn.so.9');

/**
 * What dlopen (RTLD_NOW) says of rnnkit_cuda.so in a fresh process whose library path holds the
 * cuDNN and cuBLAS it links: Node's "did not self-register" means every symbol resolved, and
 * only the Node-module registration it does not have was missing.
 */
function dlopenModule(): string {
  const script = `try { process.dlopen({ exports: {} }, ${JSON.stringify(moduleFile)}, require('os').constants.dlopen.RTLD_NOW) }
    catch (e) { process.stdout.write(e.message) }`;
  const env = { ...process.env, LD_LIBRARY_PATH: path.dirname(linkOnlyCudnn) };
  return execFileSync(process.execPath, ['-e', script], { env }).toString();
}

function load(): Binding {
  return createRequire(import.meta.url)(addonFile) as Binding;
}

function errorOf(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected a throw');
}

describe.skipIf(!built)(title, () => {
  const binding = built ? load() : undefined;
  const cuda: BackendInfo[] = binding ? binding.backends().filter((b) => b.name === 'cuda') : [];
  const unavailable = cuda.length === 1 && !cuda[0]!.available;

  it('lists the CPU backend and CUDA entries', () => {
    const all = binding!.backends();
    expect(all[0]).toMatchObject({ name: 'oneDNN', device: 'cpu', available: true });
    expect(cuda.length).toBeGreaterThan(0);
  });

  describe.skipIf(!unavailable)('where CUDA cannot run (no GPU, driver or runtime libraries)', () => {
    const reason = unavailable ? cuda[0]!.detail : '';

    it('reports one cuda entry with the missing piece and the fix', () => {
      expect(cuda[0]).toMatchObject({ name: 'cuda', device: 'cuda', available: false });
      expect(cuda[0]!.gpu).toBeUndefined();
      expect(reason).toMatch(/libcudnn|libcublas|libcuda\.so\.1|driver|GPU/);
      expect(reason).toContain('; to fix: ');
    });

    it("throws RK_DEVICE naming the op, the device and the reason for 'cuda' and 'cuda:N'", () => {
      for (const device of ['cuda', 'cuda:0', 'cuda:3']) {
        const e = errorOf(() => binding!.full([2], 1, 'float32', device));
        expect(e.code).toBe('RK_DEVICE');
        const name = device === 'cuda' ? 'cuda:0' : device;
        expect(e.message).toBe(`full: device '${name}' is not available: ${reason}`);
      }
      const t = binding!.fromArray(new Float32Array([1, 2]), [2], 'cpu');
      expect(errorOf(() => binding!.toDevice(t, 'cuda')).code).toBe('RK_DEVICE');
      expect(errorOf(() => binding!.sync('cuda:1')).code).toBe('RK_DEVICE');
      expect(errorOf(() => binding!.profilerStart()).code).toBe('RK_DEVICE');
      t.dispose();
    });

    it('rejects device names that are not devices', () => {
      for (const device of ['gpu', 'cuda:', 'cuda:-1', 'cuda:x', 'cuda:64']) {
        const e = errorOf(() => binding!.full([1], 0, 'float32', device));
        expect(e.code).toBe('RK_DEVICE');
        expect(e.message).toContain(`unknown device '${device}'`);
      }
    });

    it.skipIf(!reason.includes('libcuda.so.1'))('looks for the driver first and loads no CUDA library without it', () => {
      const script = `require(${JSON.stringify(addonFile)}).backends();
        process.stdout.write(require('fs').readFileSync('/proc/self/maps', 'utf8'))`;
      const maps = execFileSync(process.execPath, ['-e', script]).toString();
      expect(maps).toContain('rnnkit.node');
      expect(maps).not.toMatch(/libcublas|libcudnn|rnnkit_cuda\.so/);
    });

    it.skipIf(!existsSync(linkOnlyCudnn))('builds rnnkit_cuda.so with every symbol resolved by cuDNN and cuBLAS', () => {
      expect(dlopenModule()).toContain('did not self-register');
    });

    it('keeps the CPU working: ops, reads, toDevice on the CPU, NVTX calls as no-ops, memory()', async () => {
      const a = binding!.fromArray(new Float32Array([1, 2, 3]), [3], 'cpu');
      const b = binding!.full([3], 0.5, 'float32', 'cpu');
      const sum = binding!.binary('add', a, b);
      const copy = binding!.toDevice(sum, 'cpu');
      binding!.rangePush('cpu only');
      binding!.rangePop();
      expect(Array.from(await binding!.read(copy))).toEqual([1.5, 2.5, 3.5]);
      expect(Array.from(binding!.readSync(sum))).toEqual([1.5, 2.5, 3.5]);
      expect(Object.keys(binding!.memory())).toEqual(['cpu']);
      for (const t of [a, b, sum, copy]) t.dispose();
    });

    it.skipIf(!existsSync(distIndex))('falls back to the CPU as the default device with one warning naming the reason', () => {
      const reason = cuda[0]!.detail;
      const script = `const rk = await import(${JSON.stringify(pathToFileURL(distIndex).href)});
        const a = rk.defaultDevice(); const b = rk.defaultDevice(); const t = rk.zeros([2]);
        process.stdout.write(JSON.stringify([a, b, t.device]));`;
      const env: NodeJS.ProcessEnv = { ...process.env, RNNKIT_ADDON: addonFile };
      delete env.RNNKIT_DEVICE;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual(['cpu', 'cpu', 'cpu']);
      const warnings = run.stderr.split('\n').filter((line) => line.includes('RNNKIT_CUDA_UNAVAILABLE'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`rnnkit's CUDA backend cannot run here, so it uses the CPU: ${reason}`);
    });
  });
});

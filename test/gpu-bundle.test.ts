// The GPU bundle's pieces that work without a GPU (the GPU checks themselves run in
// gpu-bundle/run.sh on a GPU machine):
//   - the node:test shim of vitest (test/gpu/standalone/vitest.ts): its matchers pass and fail as
//     vitest's do, and a suite compiled as the bundle compiles them reports the right counts;
//   - a GPU suite compiled for the bundle skips without a GPU, and fails with RNNKIT_REQUIRE_GPU=1;
//   - gpu-bundle/run.sh (when `npm run gpu:bundle` has built it; CI does): without a GPU and with
//     node and npm off PATH it exits 2 with one line naming the missing driver, and --selftest
//     passes (the bundle's Node.js, addon and libraries work; each suite skips, or fails when
//     required; the native tests skip).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileForNode } from '../scripts/gpu-bundle/compile.mjs';
import { addonPath } from '../lib/native.js';
import { expect as shimExpect } from './gpu/standalone/vitest.js';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'rnnkit-gpu-bundle-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The message of what fn throws ('' if it does not throw). */
function thrown(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

describe('the node:test shim of vitest', () => {
  it('passes what vitest passes', async () => {
    shimExpect(1).toBe(1);
    shimExpect(Number.NaN).toBe(Number.NaN);
    shimExpect({ a: [1, Float32Array.of(2)], b: undefined }).toEqual({ a: [1, Float32Array.of(2)] });
    shimExpect([Number.NaN]).toEqual([Number.NaN]);
    shimExpect(Float32Array.of(1)).not.toEqual(Int32Array.of(1));
    shimExpect('abc').toMatch(/b/);
    shimExpect(0.3).toBeCloseTo(0.1 + 0.2, 10);
    shimExpect(3).toBeGreaterThanOrEqual(3);
    shimExpect(null).toBeNull();
    shimExpect([1, 2]).toHaveLength(2);
    shimExpect(new RangeError('x')).toBeInstanceOf(Error);
    shimExpect(() => {
      throw new RangeError('bad index 12');
    }).toThrow(/index 12/);
    shimExpect(() => undefined).not.toThrow();
    await shimExpect(Promise.resolve(4)).resolves.toBe(4);
    await shimExpect(Promise.reject(new TypeError('no'))).rejects.toThrow('no');
  });

  it('fails what vitest fails, with the label and both values in the message', async () => {
    expect(thrown(() => shimExpect(1, 'step 3').toBe(2))).toBe('step 3: expected 1 to be 2');
    expect(thrown(() => shimExpect(0).toBe(-0))).toMatch(/expected 0 to be -0/);
    expect(thrown(() => shimExpect([1, 2]).toEqual([1, 3]))).toMatch(/to equal \[ 1, 3 \]/);
    expect(thrown(() => shimExpect({ a: 1 }).toEqual({ a: 1, b: 2 }))).not.toBe('');
    expect(thrown(() => shimExpect(Float32Array.of(1, 2)).toEqual(Float32Array.of(1, 2.5)))).not.toBe('');
    expect(thrown(() => shimExpect(1).not.toEqual(1))).toMatch(/not to equal/);
    expect(thrown(() => shimExpect(2).toBeLessThan(2))).not.toBe('');
    expect(thrown(() => shimExpect(Number.NaN).toBeGreaterThan(0))).not.toBe('');
    expect(thrown(() => shimExpect('abc').toMatch(/d/))).not.toBe('');
    expect(thrown(() => shimExpect(() => undefined).toThrow())).toMatch(/did not throw/);
    expect(thrown(() => shimExpect(() => { throw new Error('other'); }).toThrow(/index/))).toMatch(/threw 'other'/);
    expect(thrown(() => shimExpect(() => { throw new Error('x'); }).toThrow(RangeError))).not.toBe('');
    expect(thrown(() => shimExpect(3).toThrow())).toMatch(/needs a function/);
    await expect(shimExpect(Promise.resolve(1)).rejects.toThrow()).rejects.toThrow(/to reject/);
    await expect(shimExpect(Promise.reject(new Error('e'))).resolves.toBe(1)).rejects.toThrow(/to resolve/);
  });

  it('runs a compiled suite on node:test: counts, hooks, the planted failure, the skipped suite', async () => {
    const [fixture] = await compileForNode(['test/gpu/standalone/shim-fixture.ts'], join(work, 'shim'));
    const tap = join(work, 'shim.tap');
    const r = spawnSync(process.execPath, ['--test-reporter=tap', `--test-reporter-destination=${tap}`, fixture!], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const report = readFileSync(tap, 'utf8');
    expect(report).toMatch(/^# pass 4$/m);
    expect(report).toMatch(/^# fail 1$/m);
    expect(report).toMatch(/^\s*ok \d+ - skipped suite # SKIP/m);
    expect(report).toMatch(/the planted failure: expected 4 to be 5/);
    expect(`${r.stdout}${report}`).toMatch(/hooks: beforeAll,sync,async,after,afterAll/);
  });
});

describe('a GPU suite compiled for the bundle, on this machine without a GPU', () => {
  it('skips with the reason, and fails with RNNKIT_REQUIRE_GPU=1', async () => {
    const dir = join(work, 'suite');
    const [suite] = await compileForNode(['test/gpu/faults.gpu.test.ts'], dir);
    writeFileSync(join(work, 'package.json'), '{"name": "rnnkit", "private": true}\n'); // lib/native.ts looks for the package root
    const runSuite = (require: string) =>
      spawnSync(process.execPath, ['--expose-gc', suite!], {
        encoding: 'utf8',
        env: { ...process.env, RNNKIT_ADDON: addonPath, RNNKIT_REQUIRE_GPU: require },
      });
    const skipped = runSuite('');
    expect(skipped.status).toBe(0);
    expect(skipped.stdout).toMatch(/# SKIP/);
    expect(skipped.stderr).toMatch(/skipping "GPU out of memory": no working CUDA device/);
    const required = runSuite('1');
    expect(required.status).toBe(1);
    expect(required.stdout).toMatch(/RNNKIT_REQUIRE_GPU=1, but no CUDA device works here/);
  });
});

const bundle = join(root, 'gpu-bundle');
const bundleBuilt = existsSync(join(bundle, 'payload.tar.xz'));
if (!bundleBuilt) console.warn('[rnnkit] skipping the gpu-bundle/run.sh tests: no gpu-bundle/ here (npm run gpu:bundle builds it)');

describe.skipIf(!bundleBuilt)('gpu-bundle/run.sh on this machine without a GPU', () => {
  /** PATH with only what run.sh needs: no node, no npm. */
  function pathWithoutNode(): string {
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
    for (const tool of ['bash', 'env', 'timeout', 'tee', 'mktemp', 'rm', 'mkdir', 'dirname', 'cat']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (found && !existsSync(join(bin, tool))) symlinkSync(found, join(bin, tool));
    }
    if (!existsSync(join(bin, 'python3'))) symlinkSync(python, join(bin, 'python3'));
    return bin;
  }

  it('exits 2 with one line naming the missing driver, and its summary says so', () => {
    const out = join(work, 'out-missing');
    const bin = pathWithoutNode();
    const r = spawnSync(join(bin, 'bash'), [join(bundle, 'run.sh'), out], {
      encoding: 'utf8',
      env: { PATH: bin, HOME: process.env.HOME ?? '/' },
    });
    expect(r.status).toBe(2);
    const lines = `${r.stdout}${r.stderr}`.trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^run\.sh: cannot run: no NVIDIA driver: libcuda\.so\.1 does not load/)]);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { ok: boolean; missing: string; steps: unknown[] };
    expect(summary.ok).toBe(false);
    expect(summary.missing).toMatch(/libcuda\.so\.1/);
    expect(summary.steps).toEqual([]);
  });

  it('--selftest passes: the bundled Node.js, addon and libraries work, suites skip or fail when required', () => {
    const out = join(work, 'out-selftest');
    const cudnn = join(root, '.deps/cuda');
    const bin = pathWithoutNode();
    const r = spawnSync(join(bin, 'bash'), [join(bundle, 'run.sh'), '--selftest', out], {
      encoding: 'utf8',
      env: { PATH: bin, HOME: process.env.HOME ?? '/', ...(existsSync(join(cudnn, 'lib/libcudnn.so.9')) ? { CUDNN_PATH: cudnn } : {}) },
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { ok: boolean; steps: { name: string; outcome: string }[] };
    expect(summary.ok).toBe(true);
    const names = summary.steps.map((s) => s.name);
    expect(names).toContain('selftest-cpu');
    for (const suite of ['ops', 'rnn', 'faults', 'train']) {
      expect(names).toContain(`selftest-${suite}-skips`);
      expect(names).toContain(`selftest-${suite}-required`);
    }
    expect(summary.steps.every((s) => s.outcome === 'passed')).toBe(true);
  });
});

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Examples import the package by name, as users do; tests run them against the sources.
    alias: { rnnkit: fileURLToPath(new URL('./lib/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // The default report, then one plain closing line of counts (test/count-reporter.ts).
    reporters: ['default', './test/count-reporter.ts'],
    // One process owns the native CPU stream; the suites are small, so no worker pool is needed.
    fileParallelism: false,
    // Training tests take seconds alone, but a 2-core machine shared with other work (OpenMP
    // threads oversubscribed) can be many times slower: time limits are generous on purpose.
    testTimeout: 240_000,
    // Memory tests collect garbage first, so tensors dropped by earlier tests cannot be finalized
    // in the middle of a measurement.
    execArgv: ['--expose-gc'],
    env: {
      // The suites name their devices: CPU suites stay on the CPU on a machine with a GPU (whose
      // default device would otherwise be cuda:0); GPU suites ask for 'cuda' themselves.
      RNNKIT_DEVICE: 'cpu',
      // cuBLAS (inside cuDNN's RNN) repeats its results only with a fixed workspace size; it reads
      // this when the CUDA backend creates its handles, before any test file runs.
      CUBLAS_WORKSPACE_CONFIG: ':4096:8',
    },
  },
});

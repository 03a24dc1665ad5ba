import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One process owns the native CPU stream; the suites are small, so no worker pool is needed.
    fileParallelism: false,
    testTimeout: 60_000,
  },
});

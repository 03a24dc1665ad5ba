import type { Reporter, SerializedError, TestModule } from 'vitest/node';

/**
 * Closes a run with one plain line, "tests: N passed, N failed, N skipped", that CI logs and
 * scripts can read without parsing vitest's coloured summary. A file that failed without a
 * failed test (it did not load) and an error outside any test each count as one failure, so the
 * line never says "0 failed" of a run that failed.
 */
export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const counts = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
    for (const testModule of testModules) {
      const failedBefore = counts.failed;
      for (const test of testModule.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
      if (testModule.state() === 'failed' && counts.failed === failedBefore) counts.failed++;
    }
    process.stdout.write(
      `tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    );
  }
}

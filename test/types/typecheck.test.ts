// Runs the type tests (test/types/*.test-d.ts): the public API's signatures, and the wrong calls
// that must not compile.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('public types', () => {
  it('compile as the type tests expect (tsc -p test/types)', () => {
    const r = spawnSync(process.execPath, [tsc, '-p', 'test/types', '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
    // tsc prints its errors on stdout; an unused @ts-expect-error is one of them.
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

// The install script stops, naming the package to install, when oneDNN is not where it looks.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));

describe('install script', () => {
  it('without oneDNN, exits 1 and names libdnnl-dev and DNNL_ROOT', () => {
    const r = spawnSync(process.execPath, ['scripts/install.mjs'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, DNNL_ROOT: '/nonexistent/onednn', RNNKIT_SKIP_INSTALL: '' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('oneapi/dnnl/dnnl.hpp is not in /nonexistent/onednn/include');
    expect(r.stderr).toContain('apt-get install libdnnl-dev');
    expect(r.stderr).toContain('DNNL_ROOT');
  });
});

// rnnkit loads its addon (and with it libgomp) with OMP_WAIT_POLICY defaulting to passive, keeps
// a policy the user set, and leaves process.env as the user gave it. The child processes read
// libgomp's own report of its settings (OMP_DISPLAY_ENV=verbose), on dist/ as `npm run build`
// leaves it. The spin count is what tells the policies apart: libgomp reports an unset policy as
// 'PASSIVE' too, but spins 300000 times before sleeping; passive spins 0 times.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addonPath, withPassiveOpenMp } from '../lib/native.js';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const importRnnkit = `await import(${JSON.stringify(dist)});`;
const loadAddonAlone = `process.dlopen({ exports: {} }, ${JSON.stringify(addonPath)});`;

/** libgomp's spin count and process.env.OMP_WAIT_POLICY after running `load` in a child. */
function loadInChild(load: string, policy: string | undefined): { spinCount: string; envAfter: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_DISPLAY_ENV: 'verbose', RNNKIT_DEVICE: 'cpu' };
  delete env.OMP_WAIT_POLICY;
  delete env.GOMP_SPINCOUNT;
  if (policy !== undefined) env.OMP_WAIT_POLICY = policy;
  const script = `${load} console.log('envAfter=' + process.env.OMP_WAIT_POLICY);`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  return {
    spinCount: /GOMP_SPINCOUNT = '(\d+)'/.exec(child.stderr)?.[1] ?? 'not reported',
    envAfter: /envAfter=(\S+)/.exec(child.stdout)?.[1] ?? 'no output',
  };
}

describe('OpenMP wait policy', () => {
  it('is passive by default, and process.env is left without it', () => {
    expect(loadInChild(importRnnkit, undefined)).toEqual({ spinCount: '0', envAfter: 'undefined' });
  });

  it('spins without rnnkit\'s loader (the addon loaded alone keeps libgomp\'s default)', () => {
    expect(loadInChild(loadAddonAlone, undefined)).toEqual({ spinCount: '300000', envAfter: 'undefined' });
  });

  it("keeps the user's policy", () => {
    expect(loadInChild(importRnnkit, 'active')).toEqual({ spinCount: '30000000000', envAfter: 'active' });
  });

  it('sets passive only while the addon loads, also when loading throws', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(withPassiveOpenMp(() => env.OMP_WAIT_POLICY, env)).toBe('passive');
    expect(env).toEqual({});
    expect(() =>
      withPassiveOpenMp(() => {
        throw new Error('no addon');
      }, env),
    ).toThrow('no addon');
    expect(env).toEqual({});
    const chosen: NodeJS.ProcessEnv = { OMP_WAIT_POLICY: 'active' };
    expect(withPassiveOpenMp(() => chosen.OMP_WAIT_POLICY, chosen)).toBe('active');
  });
});

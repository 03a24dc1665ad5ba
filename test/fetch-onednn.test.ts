// scripts/fetch-onednn.mjs, the install script's way to oneDNN on a machine without it, against
// stand-ins for apt-get and dpkg-deb (on a PATH that holds nothing else, so no sudo), which log
// their calls. The real thing runs in scripts/fresh-machine.mjs (CI).

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchOnednn } from '../scripts/fetch-onednn.mjs';

interface Machine {
  dir: string;
  calls: () => string[];
  fetch: (isRoot: boolean) => ReturnType<typeof fetchOnednn> & { said: string[] };
}

/**
 * A package folder and a bin/ with apt-get and dpkg-deb stand-ins. `listsEmpty`: apt-get download
 * fails until apt-get update ran; `major`: the version the unpacked dnnl_version.h says.
 */
function machine({ aptGet = true, listsEmpty = false, major = 2 } = {}): Machine {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rnnkit-fetch-onednn-'));
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'calls.log');
  mkdirSync(bin);
  const script = (name: string, body: string) => {
    writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> '${log}'\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  if (aptGet) {
    script('apt-get', [
      `case "$1" in update) : > '${dir}/lists'; exit 0;; download) ;; *) exit 0;; esac`,
      listsEmpty ? `[ -e '${dir}/lists' ] || { echo "E: Unable to locate package libdnnl-dev" >&2; exit 100; }` : '',
      'for p in "$@"; do [ "$p" = download ] || : > "$p.deb"; done',
    ].join('\n'));
  }
  script('dpkg-deb', [
    '/bin/mkdir -p "$3/usr/include/oneapi/dnnl"',
    ': > "$3/usr/include/oneapi/dnnl/dnnl.hpp"',
    `printf '#define DNNL_VERSION_MAJOR ${major}\\n#define DNNL_VERSION_MINOR 6\\n#define DNNL_VERSION_PATCH 3\\n' > "$3/usr/include/oneapi/dnnl/dnnl_version.h"`,
  ].join('\n'));
  return {
    dir,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
    fetch: (isRoot) => {
      const said: string[] = [];
      return { ...fetchOnednn(dir, { say: (l) => said.push(l), env: { PATH: bin }, isRoot }), said };
    },
  };
}

describe('fetchOnednn', () => {
  it("unpacks the distribution's packages into .deps/onednn, and keeps them for the next build", () => {
    const m = machine();
    const r = m.fetch(false);
    expect(r).toMatchObject({ root: path.join(m.dir, '.deps/onednn/usr'), version: '2.6.3' });
    expect(existsSync(path.join(m.dir, '.deps/onednn/usr/include/oneapi/dnnl/dnnl.hpp'))).toBe(true);
    expect(m.calls().filter((c) => c.startsWith('dpkg-deb -x'))).toHaveLength(6);
    expect(r.said.join('\n')).toContain('nothing is installed on the system');
    const before = m.calls().length;
    expect(m.fetch(false)).toMatchObject({ version: '2.6.3' });
    expect(m.calls()).toHaveLength(before);
  });

  it('reads the package lists first (apt-get update) when it is root, saying so', () => {
    const m = machine({ listsEmpty: true });
    const r = m.fetch(true);
    expect(r.version).toBe('2.6.3');
    expect(m.calls()).toContain('apt-get update -qq');
    expect(r.said.join('\n')).toMatch(/Unable to locate package libdnnl-dev\); reading the package lists first: apt-get update -qq \(as root\)/);
  });

  it('without root or passwordless sudo, says that apt-get update needs them', () => {
    const m = machine({ listsEmpty: true });
    const r = m.fetch(false);
    expect(r.cause).toMatch(/apt-get download failed \(E: Unable to locate package libdnnl-dev\), and apt-get update, which may fix it, needs root or passwordless sudo/);
    expect(m.calls()).not.toContain('apt-get update -qq');
  });

  it('refuses a oneDNN other than 2 and leaves no .deps/onednn', () => {
    const m = machine({ major: 3 });
    expect(m.fetch(false).cause).toBe("the distribution's oneDNN is 3.6.3, and rnnkit's CPU backend is written for oneDNN 2's API");
    expect(existsSync(path.join(m.dir, '.deps/onednn'))).toBe(false);
  });

  it('without apt-get, says it is not Debian or Ubuntu', () => {
    expect(machine({ aptGet: false }).fetch(true).cause).toMatch(/apt-get is not on PATH \(not Debian or Ubuntu\)/);
  });
});

// Runs `node bin/rnnkit.mjs ...` as a child process, as a user would, for the end-to-end tests.
// The CLI runs from dist/ (`npm run build` first; CI builds before testing).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = new URL('../../', import.meta.url);
const bin = fileURLToPath(new URL('bin/rnnkit.mjs', root));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Fails with the fix when the compiled CLI is missing. */
export function requireBuiltCli(): void {
  if (!existsSync(new URL('dist/cli/main.js', root))) {
    throw new Error("dist/cli/main.js is missing: run 'npm run build' before the CLI tests (they run the compiled CLI as a user would)");
  }
}

// The children run in other folders: an RNNKIT_ADDON relative to this process's folder
// (`RNNKIT_ADDON=build/Release/rnnkit.node npm test`) must reach them as an absolute path.
const env: NodeJS.ProcessEnv = process.env.RNNKIT_ADDON
  ? { ...process.env, RNNKIT_ADDON: resolve(process.env.RNNKIT_ADDON) }
  : process.env;

export interface CliOptions {
  cwd: string;
  input?: string;
  /** Variables added to the environment. */
  env?: Record<string, string>;
  /** Called whenever stdout grows, with all of it so far and the child (to signal it). */
  onStdout?: (text: string, child: ChildProcess) => void;
}

/** Runs the CLI in `cwd` with `args`, feeding `input` to its stdin. */
export function rnnkit(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: options.cwd, env: { ...env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      options.onStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

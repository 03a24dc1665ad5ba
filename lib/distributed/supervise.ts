// Runs a node's ranks as child processes and watches them, as torchrun's agent does: their output
// goes to ours line by line behind `[rank R] `; when one fails (exits non-zero, is killed by a
// signal, or cannot start) the others are stopped (SIGTERM, then SIGKILL after a grace period),
// since the survivors would only wait for it until their own timeouts.

import { spawn, type ChildProcess } from 'node:child_process';
import type { Environment } from '../native.js';
import { LinePrefixer } from './line-prefix.js';

export interface RankSpec {
  rank: number;
  env: Environment;
}

/** How the first failed rank ended. */
export interface RankFailure {
  rank: number;
  /** Its exit code, or null when a signal ended it (or it never started). */
  code: number | null;
  signal: string | null;
  /** Why it could not start (spawn's error), if so. */
  startError?: string;
  /** Its last non-empty line on stderr ('' if none). */
  lastStderr: string;
}

export interface SuperviseOptions {
  /** The program and its arguments, the same for every rank. */
  command: readonly string[];
  /** Milliseconds between SIGTERM and SIGKILL when stopping ranks. */
  graceMs: number;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface Supervision {
  /** Resolves when every rank has ended: with the first failure, or undefined when all exited 0. */
  done: Promise<RankFailure | undefined>;
  /** Stops every rank still running (SIGTERM, then SIGKILL after the grace period). */
  stop(): void;
}

export function supervise(ranks: readonly RankSpec[], options: SuperviseOptions): Supervision {
  const running = new Set<ChildProcess>();
  let failure: RankFailure | undefined;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  let stopping = false;

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    for (const child of running) child.kill('SIGTERM');
    killTimer = setTimeout(() => {
      for (const child of running) child.kill('SIGKILL');
    }, options.graceMs);
  };

  const one = ({ rank, env }: RankSpec): Promise<void> =>
    new Promise((resolve) => {
      const [program, ...args] = options.command;
      const child = spawn(program!, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      running.add(child);
      const out = new LinePrefixer(`[rank ${rank}] `, options.stdout);
      const err = new LinePrefixer(`[rank ${rank}] `, options.stderr);
      child.stdout!.setEncoding('utf8').on('data', (s: string) => out.push(s));
      child.stderr!.setEncoding('utf8').on('data', (s: string) => err.push(s));
      let startError: string | undefined;
      child.on('error', (e) => (startError = e.message));
      // 'close' comes after the output streams have ended, so every line is written before the report.
      child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
        running.delete(child);
        out.end();
        err.end();
        // A rank we stopped ended because of another's failure: it is not the one to report.
        const failed = startError !== undefined || code !== 0;
        if (failed && failure === undefined && !stopping) {
          failure = { rank, code, signal, lastStderr: err.last, ...(startError !== undefined ? { startError } : {}) };
        }
        if (failed) stop();
        resolve();
      });
    });

  const done = Promise.all(ranks.map(one)).then(() => {
    clearTimeout(killTimer);
    return failure;
  });
  return { done, stop };
}

// fit()'s progress report: one redrawn line with a bar on a terminal (steps, loss, tokens/s,
// ETA), plain lines elsewhere (a log file, CI), nothing with 'off'.

import type { EpochLog } from './fit.js';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'off';

const fmt = (n: number): string => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(4)) : String(n));

/** Where the report goes: process.stderr, or any stream with write() (structural: no @types/node needed). */
export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export class Progress {
  readonly #mode: 'bar' | 'lines' | 'off';
  readonly #out: ProgressOutput;
  #epoch = 0;
  #epochs = 0;
  #total: number | undefined;
  #started = 0;
  #lastLine = 0;

  constructor(mode: ProgressMode, out: ProgressOutput = process.stderr) {
    this.#out = out;
    this.#mode = mode === 'auto' ? (out.isTTY ? 'bar' : 'lines') : mode;
  }

  startEpoch(epoch: number, epochs: number, total: number | undefined): void {
    this.#epoch = epoch;
    this.#epochs = epochs;
    this.#total = total;
    this.#started = performance.now();
    this.#lastLine = 0;
  }

  step(done: number, loss: number, tokensPerSecond: number, metrics: Record<string, number> = {}): void {
    if (this.#mode === 'off') return;
    const elapsed = (performance.now() - this.#started) / 1000;
    const head = `epoch ${this.#epoch + 1}/${this.#epochs}`;
    const shown = Object.entries(metrics).map(([k, v]) => `  ${k} ${fmt(v)}`).join('');
    const stats = `loss ${fmt(loss)}${shown}  ${fmt(tokensPerSecond)} tok/s`;
    if (this.#mode === 'bar') {
      const total = this.#total;
      const frac = total ? Math.min(1, done / total) : 0;
      const width = 24;
      const bar = total ? `[${'='.repeat(Math.round(frac * width)).padEnd(width)}] ${done}/${total}` : `step ${done}`;
      const eta = total && done > 0 ? `  eta ${fmt((elapsed / done) * (total - done))}s` : '';
      this.#out.write(`\r${head} ${bar}  ${stats}${eta}\x1b[K`);
    } else if (elapsed - this.#lastLine >= 10) {
      this.#lastLine = elapsed;
      this.#out.write(`${head} step ${done}${this.#total ? `/${this.#total}` : ''}  ${stats}\n`);
    }
  }

  endEpoch(log: EpochLog): void {
    if (this.#mode === 'off') return;
    const parts = [`epoch ${log.epoch + 1}/${this.#epochs}`, `loss ${fmt(log.loss)}`];
    for (const [k, v] of Object.entries(log.metrics)) parts.push(`${k} ${fmt(v)}`);
    if (log.valLoss !== undefined) parts.push(`val_loss ${fmt(log.valLoss)}`);
    for (const [k, v] of Object.entries(log.valMetrics ?? {})) parts.push(`val_${k} ${fmt(v)}`);
    parts.push(`${fmt(log.tokensPerSecond)} tok/s`, `${log.seconds.toFixed(1)}s`);
    this.#out.write(`${this.#mode === 'bar' ? '\r' : ''}${parts.join('  ')}${this.#mode === 'bar' ? '\x1b[K' : ''}\n`);
  }
}

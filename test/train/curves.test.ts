// curvesSvg(): the lines drawn, mapped back through each panel's tick labels, give the logged
// values; panels, legend, gaps, escaping, determinism and bad input.

import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import type { EpochLog } from '../../lib/train/fit.js';

const logs = (n: number, withVal = true): EpochLog[] =>
  Array.from({ length: n }, (_, i) => ({
    epoch: i,
    loss: 2 * Math.exp(-i / 3) + 0.1,
    metrics: { accuracy: 0.4 + 0.05 * i, perplexity: 30 / (i + 1) },
    ...(withVal ? { valLoss: 2.2 * Math.exp(-i / 4) + 0.2, valMetrics: { accuracy: 0.35 + 0.04 * i, perplexity: 35 / (i + 1) } } : {}),
    lr: 0.001,
    seconds: 1,
    tokensPerSecond: 100,
  }));

interface Drawn {
  title: string;
  /** series name → points [epoch, value], read back through the axes. */
  series: Record<string, [number, number][]>;
  /** The number of separate line pieces of each series. */
  pieces: Record<string, number>;
}

/** A linear map through two (pixel, value) pairs. */
function mapping(pairs: [number, number][]): (p: number) => number {
  const [a, b] = [pairs[0]!, pairs.at(-1)!];
  return (p) => a[1] + ((p - a[0]) / (b[0] - a[0])) * (b[1] - a[1]);
}

/** Each panel of an SVG as curvesSvg draws it, with its lines turned back into values. */
function readBack(svg: string): Drawn[] {
  return svg.split('<g transform=').slice(1).map((g) => {
    const title = /font-weight="bold">([^<]*)</.exec(g)![1]!;
    const yTicks = [...g.matchAll(/<text x="[\d.]+" y="([\d.]+)" dy="0.35em" text-anchor="end">([^<]+)</g)].map((m): [number, number] => [Number(m[1]), Number(m[2])]);
    const xTicks = [...g.matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="middle">(\d+)</g)].map((m): [number, number] => [Number(m[1]), Number(m[2])]);
    expect(yTicks.length).toBeGreaterThanOrEqual(3);
    expect(xTicks.length).toBeGreaterThanOrEqual(2);
    const toValue = mapping(yTicks);
    const toEpoch = mapping(xTicks);
    const series: Drawn['series'] = {};
    const pieces: Drawn['pieces'] = {};
    for (const m of g.matchAll(/<path class="series" data-series="(\w+)" d="([^"]+)"/g)) {
      const points = [...m[2]!.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((p): [number, number] => [toEpoch(Number(p[1])), toValue(Number(p[2]))]);
      series[m[1]!] = points;
      pieces[m[1]!] = (m[2]!.match(/M/g) ?? []).length;
    }
    return { title, series, pieces };
  });
}

/** Open and close tags balance (each element closed, in order). */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
    if (m[3] === '/') continue;
    if (m[1] === '/') {
      if (stack.pop() !== m[2]) return false;
    } else stack.push(m[2]!);
  }
  return stack.length === 0;
}

describe('curvesSvg', () => {
  it('draws loss and each metric, train and validation, at the logged values (through the tick labels)', () => {
    const epochs = logs(12);
    const svg = rk.train.curvesSvg(epochs);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="960" height="246"')).toBe(true);
    expect(balanced(svg)).toBe(true);
    const panels = readBack(svg);
    expect(panels.map((p) => p.title)).toEqual(['loss', 'accuracy', 'perplexity']);
    const expected: Record<string, [number[], number[]]> = {
      loss: [epochs.map((e) => e.loss), epochs.map((e) => e.valLoss!)],
      accuracy: [epochs.map((e) => e.metrics.accuracy!), epochs.map((e) => e.valMetrics!.accuracy!)],
      perplexity: [epochs.map((e) => e.metrics.perplexity!), epochs.map((e) => e.valMetrics!.perplexity!)],
    };
    for (const p of panels) {
      const [train, val] = expected[p.title]!;
      const all = [...train, ...val];
      // Coordinates are rounded to 0.1 px on a plot about 150 px high.
      const tol = ((Math.max(...all) - Math.min(...all)) / 150) * 0.2;
      for (const [name, values] of [['train', train], ['validation', val]] as const) {
        const points = p.series[name]!;
        expect(points.map(([e]) => Math.round(e * 100) / 100)).toEqual(values.map((_, i) => i + 1));
        points.forEach(([, v], i) => expect(Math.abs(v - values[i]!), `${p.title} ${name} epoch ${i + 1}`).toBeLessThan(tol));
      }
    }
    expect(svg).toContain('>train</text>');
    expect(svg).toContain('>validation</text>');
  });

  it('is deterministic, leaves gaps at non-finite values, escapes names and lays out panels in rows of 3', () => {
    const epochs = logs(5);
    expect(rk.train.curvesSvg(epochs)).toBe(rk.train.curvesSvg(structuredClone(epochs)));
    epochs[2]!.loss = NaN;
    epochs[3]!.valLoss = Infinity;
    epochs.forEach((e) => (e.metrics['<f1 & "co">'] = 0.5));
    const svg = rk.train.curvesSvg(epochs);
    expect(balanced(svg)).toBe(true);
    const [loss, , , odd] = readBack(svg);
    expect(loss!.pieces).toEqual({ train: 2, validation: 2 });
    expect(loss!.series.train!.map(([e]) => Math.round(e))).toEqual([1, 2, 4, 5]);
    expect(odd!.title).toBe('&lt;f1 &amp; &quot;co&quot;&gt;');
    expect(odd!.series.validation).toBeUndefined(); // no validation values for it
    expect(svg).toMatch(/^<svg [^>]*width="960" height="466"/); // 4 panels: 3 + 1
  });

  it('draws a run without validation (no validation line or legend), a single epoch, and the later of a repeated epoch', () => {
    const svg = rk.train.curvesSvg(logs(1, false));
    expect(svg).not.toContain('validation');
    const [loss] = readBack(svg);
    expect(loss!.series.train).toHaveLength(1);
    const resumed = [...logs(4), ...logs(4).slice(2).map((e) => ({ ...e, loss: 5 }))];
    const [redrawn] = readBack(rk.train.curvesSvg(resumed));
    const values = redrawn!.series.train!.map(([, v]) => Math.round(v * 10) / 10);
    expect(values.slice(2)).toEqual([5, 5]);
    expect(values).toHaveLength(4);
  });

  it('rejects what is not a list of epoch logs with an ArgumentError naming it', () => {
    const bad = (value: unknown, message: string | RegExp): void => {
      expect(() => rk.train.curvesSvg(value as EpochLog[])).toThrow(rk.ArgumentError);
      expect(() => rk.train.curvesSvg(value as EpochLog[])).toThrow(message);
    };
    bad([], 'curvesSvg: epochs is empty: there is no epoch to draw');
    bad({ epochs: [] }, /curvesSvg: epochs must be an array of epoch logs \(history.epochs\), got/);
    bad([logs(1)[0], { epoch: 1, loss: '0.5', metrics: {} }], /curvesSvg: epochs\[1\] must be an epoch log with a numeric epoch and loss and a metrics object/);
  });
});

// curvesSvg(): a run's training curves as one SVG image, without JavaScript or fonts beyond
// sans-serif: a panel for the loss and one per metric, each with train and validation lines per
// epoch, axes with ticks and labels, and a legend. Pure: the same epochs give the same bytes.

import { describe } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import type { EpochLog } from './fit.js';

const PANEL_W = 320;
const PANEL_H = 220;
const LEGEND_H = 26;
const COLUMNS = 3;
/** Plot area inside a panel. */
const LEFT = 56;
const RIGHT = 14;
const TOP = 26;
const BOTTOM = 38;
/** Points are marked with dots up to this many epochs. */
const MAX_DOTS = 60;
const SERIES = [
  { name: 'train', label: 'train', color: '#1f77b4', dash: '' },
  { name: 'validation', label: 'validation', color: '#ff7f0e', dash: ' stroke-dasharray="6 3"' },
] as const;

interface Panel {
  title: string;
  /** [train, validation] value per epoch (NaN: none). */
  series: [number[], number[]];
}

const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A coordinate, to a tenth of a pixel. */
const px = (v: number): string => (Math.round(v * 10) / 10).toFixed(1);

/** 1, 2 or 5 times a power of ten, about span / count. */
function niceStep(span: number, count: number): number {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

interface Axis {
  lo: number;
  hi: number;
  ticks: { value: number; label: string }[];
}

/** A value axis around [min, max]: nice bounds and ticks (about 5), labels with the step's decimals. */
function valueAxis(min: number, max: number): Axis {
  let lo = min;
  let hi = max;
  if (lo === hi) {
    const pad = Math.abs(lo) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, 5);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const ticks = [];
  for (let k = first; k <= last; k++) ticks.push({ value: k * step, label: (k * step).toFixed(decimals) });
  return { lo: first * step, hi: last * step, ticks };
}

/** The epoch axis (epochs counted from 1, as the progress display does): integer ticks. */
function epochAxis(first: number, last: number): Axis {
  const lo = first === last ? first - 1 : first;
  const hi = first === last ? last + 1 : last;
  const step = Math.max(1, niceStep(hi - lo, 6));
  const ticks = [];
  for (let k = Math.ceil(lo / step) * step; k <= hi; k += step) ticks.push({ value: k, label: String(k) });
  return { lo, hi, ticks };
}

function checkEpochs(value: unknown): readonly EpochLog[] {
  if (!Array.isArray(value)) throw new ArgumentError(`curvesSvg: epochs must be an array of epoch logs (history.epochs), got ${describe(value)}`);
  if (value.length === 0) throw new ArgumentError('curvesSvg: epochs is empty: there is no epoch to draw');
  value.forEach((log: unknown, i) => {
    const l = log as Partial<EpochLog> | null;
    if (typeof l !== 'object' || l === null || typeof l.epoch !== 'number' || typeof l.loss !== 'number' || typeof l.metrics !== 'object' || l.metrics === null) {
      throw new ArgumentError(`curvesSvg: epochs[${i}] must be an epoch log with a numeric epoch and loss and a metrics object, got ${describe(log)}`);
    }
  });
  return value as readonly EpochLog[];
}

/** One log per epoch, in epoch order; where an epoch appears twice (a resumed run appended to its log), the later log. */
function lastPerEpoch(epochs: readonly EpochLog[]): EpochLog[] {
  return [...new Map(epochs.map((e) => [e.epoch, e])).values()].sort((a, b) => a.epoch - b.epoch);
}

/** The loss panel, then one per metric (in the order the logs first name them). */
function panelsOf(epochs: readonly EpochLog[]): Panel[] {
  const names = [...new Set(epochs.flatMap((e) => [...Object.keys(e.metrics), ...Object.keys(e.valMetrics ?? {})]))];
  return [
    { title: 'loss', series: [epochs.map((e) => e.loss), epochs.map((e) => e.valLoss ?? NaN)] },
    ...names.map((name): Panel => ({
      title: name,
      series: [epochs.map((e) => e.metrics[name] ?? NaN), epochs.map((e) => e.valMetrics?.[name] ?? NaN)],
    })),
  ];
}

/** An SVG path through the finite points, broken where a value is missing or not finite. */
function linePath(xs: readonly number[], ys: readonly number[]): string {
  let d = '';
  let pen = false;
  ys.forEach((y, i) => {
    if (!Number.isFinite(y)) {
      pen = false;
      return;
    }
    d += `${d === '' ? '' : ' '}${pen ? 'L' : 'M'}${px(xs[i]!)} ${px(y)}`;
    pen = true;
  });
  return d;
}

function drawPanel(panel: Panel, epochNumbers: readonly number[], x0: number, y0: number): string[] {
  const finite = panel.series.flat().filter(Number.isFinite);
  const out = [`<g transform="translate(${x0} ${y0})">`, `<text x="${PANEL_W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`];
  const w = PANEL_W - LEFT - RIGHT;
  const h = PANEL_H - TOP - BOTTOM;
  out.push(`<rect x="${LEFT}" y="${TOP}" width="${w}" height="${h}" fill="none" stroke="#888"/>`);
  const ex = epochAxis(epochNumbers[0]!, epochNumbers.at(-1)!);
  const sx = (v: number): number => LEFT + ((v - ex.lo) / (ex.hi - ex.lo)) * w;
  for (const t of ex.ticks) {
    out.push(`<line class="x-tick" x1="${px(sx(t.value))}" y1="${TOP + h}" x2="${px(sx(t.value))}" y2="${TOP + h + 4}" stroke="#888"/>`);
    out.push(`<text x="${px(sx(t.value))}" y="${TOP + h + 16}" text-anchor="middle">${t.label}</text>`);
  }
  out.push(`<text x="${LEFT + w / 2}" y="${PANEL_H - 6}" text-anchor="middle">epoch</text>`);
  if (finite.length === 0) {
    out.push(`<text x="${LEFT + w / 2}" y="${TOP + h / 2}" text-anchor="middle" fill="#888">no finite values</text>`, '</g>');
    return out;
  }
  const ay = valueAxis(Math.min(...finite), Math.max(...finite));
  const sy = (v: number): number => TOP + h - ((v - ay.lo) / (ay.hi - ay.lo)) * h;
  for (const t of ay.ticks) {
    const y = px(sy(t.value));
    out.push(`<line class="y-tick" x1="${LEFT}" y1="${y}" x2="${LEFT + w}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${LEFT - 5}" y="${y}" dy="0.35em" text-anchor="end">${t.label}</text>`);
  }
  const xs = epochNumbers.map(sx);
  panel.series.forEach((values, s) => {
    const { name, color, dash } = SERIES[s]!;
    const ys = values.map((v) => (Number.isFinite(v) ? sy(v) : NaN));
    const d = linePath(xs, ys);
    if (d === '') return;
    out.push(`<path class="series" data-series="${name}" d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    if (values.length <= MAX_DOTS) {
      ys.forEach((y, i) => {
        if (Number.isFinite(y)) out.push(`<circle cx="${px(xs[i]!)}" cy="${px(y)}" r="2.5" fill="${color}"/>`);
      });
    }
  });
  out.push('</g>');
  return out;
}

/**
 * The curves of a run as SVG text: the loss and each metric per epoch (epochs numbered from 1),
 * train as a solid line, validation dashed, in panels of 3 per row. Non-finite values leave gaps;
 * an epoch logged twice (a resumed run appended to its log) is drawn from its later log.
 */
export function curvesSvg(epochs: readonly EpochLog[]): string {
  const logs = lastPerEpoch(checkEpochs(epochs));
  const panels = panelsOf(logs);
  const epochNumbers = logs.map((e) => e.epoch + 1);
  const columns = Math.min(COLUMNS, panels.length);
  const width = columns * PANEL_W;
  const height = LEGEND_H + Math.ceil(panels.length / columns) * PANEL_H;
  const hasValidation = panels.some((p) => p.series[1].some(Number.isFinite));
  const shown = hasValidation ? SERIES : SERIES.slice(0, 1);
  const legend = shown.flatMap((s, i) => {
    const x = width / 2 - (shown.length * 110) / 2 + i * 110;
    return [
      `<line x1="${x}" y1="14" x2="${x + 28}" y2="14" stroke="${s.color}" stroke-width="2"${s.dash}/>`,
      `<text x="${x + 34}" y="14" dy="0.35em">${s.label}</text>`,
    ];
  });
  const body = panels.flatMap((p, i) => drawPanel(p, epochNumbers, (i % columns) * PANEL_W, LEGEND_H + Math.floor(i / columns) * PANEL_H));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...legend,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

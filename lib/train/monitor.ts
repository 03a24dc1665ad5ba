// What callbacks watch: a value of an epoch's log by name, and whether smaller or larger is better.

import type { EpochLog } from './fit.js';

/** A value of an epoch's log to watch: 'loss', 'valLoss', or a metric ('accuracy', 'valAccuracy'). */
export type Monitor = string;

/** The monitored value of an epoch log (NaN when the log lacks it). */
export function monitored(log: EpochLog, monitor: Monitor): number {
  if (monitor === 'loss') return log.loss;
  if (monitor === 'valLoss') return log.valLoss ?? NaN;
  if (monitor.startsWith('val') && monitor.length > 3) {
    const name = monitor[3]!.toLowerCase() + monitor.slice(4);
    return log.valMetrics?.[name] ?? NaN;
  }
  return log.metrics[monitor] ?? NaN;
}

/** 'min' for losses, 'max' for metrics. */
export function defaultMode(monitor: Monitor): 'min' | 'max' {
  return /loss$/i.test(monitor) ? 'min' : 'max';
}

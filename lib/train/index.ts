// The train namespace: metrics now; the fit() loop and callbacks join them.

export { Accuracy, TopKAccuracy, MacroF1, Perplexity, type Metric, type MetricOptions } from './metrics.js';

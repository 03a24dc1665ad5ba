// The train namespace: the fit() loop, datasets that batch for it, metrics.

export { Accuracy, TopKAccuracy, MacroF1, Perplexity, type Metric, type MetricOptions } from './metrics.js';
export { MicroF1, SubsetAccuracy, type MultiLabelMetricOptions } from './metrics.js';
export { predict, evaluate, type PredictOptions, type EvaluateOptions, type Evaluation, type Sequences } from './inference.js';
export { fit, type FitOptions, type FitContext, type Callback, type EpochLog, type History, type LossFn, type OptimizerLike, type TrainableModule } from './fit.js';
export { SequenceDataset, permutation, type Batch, type DataSource, type Example, type SequenceDatasetOptions } from './dataset.js';
export type { TargetDType, TargetDTypeOf } from './dataset.js';
export type { ProgressMode } from './progress.js';
export { earlyStopping, type EarlyStoppingOptions } from './early-stopping.js';
export { checkpoint, resume, type CheckpointOptions, type Resumed, type RunState } from './checkpoint.js';
export { lrSchedule, type Schedule } from './lr-schedule.js';
export type { Monitor } from './monitor.js';
export { csvLogger, type CsvLoggerOptions } from './csv-logger.js';
export { tensorBoard, readEvents, type TensorBoardOptions, type TfEvent, type Scalar } from './tensorboard.js';
export { historyLog, readHistory, type HistoryLogOptions } from './history-log.js';
export { curvesSvg } from './curves.js';
export type { StatefulModule } from './inference.js';

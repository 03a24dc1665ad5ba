// The optim namespace: optimizers (fused native steps), gradient clipping, learning-rate schedules.

export { Optimizer, type Hyper, type OptimizerStateDict } from './optimizer.js';
export type { GroupOptions, OptionValue, ParamGroup, ParamGroupSpec, ParamGroupState } from './param-groups.js';
export {
  SGD,
  Adam,
  AdamW,
  RMSprop,
  Adagrad,
  type Params,
  type ParamsOrGroups,
  type SGDGroup,
  type AdamGroup,
  type RMSpropGroup,
  type AdagradGroup,
  type SGDOptions,
  type AdamOptions,
  type RMSpropOptions,
  type AdagradOptions,
} from './optimizers.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export { GradScaler, type GradScalerOptions, type GradScalerState, type ScalableOptimizer } from './grad-scaler.js';
export {
  LRSchedule,
  StepLR,
  ExponentialLR,
  CosineWithWarmup,
  ReduceLROnPlateau,
  type ScheduleState,
  type StepLROptions,
  type ExponentialLROptions,
  type CosineWithWarmupOptions,
  type ReduceLROnPlateauOptions,
} from './schedules.js';

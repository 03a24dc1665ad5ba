// The typed shape of the native addon (native/napi). Only lib/native.ts loads it; only lib/ops,
// lib/tensor, lib/memory, lib/device and lib/profile call it. Every function validates its
// arguments natively as well, so a wrong call from JS throws a JS error and never crashes the
// process.
//
// Native errors carry `code`, one of NativeErrorCode; lib/errors.ts turns them into typed classes.
//
// Every `device` argument accepts 'cpu', 'cuda' (= 'cuda:0') and 'cuda:N'; asking for a CUDA
// device that is not available throws RK_DEVICE "<op>: device 'cuda:0' is not available: <reason>".

export type NativeDType = 'float32' | 'int32';
export type NativeErrorCode =
  | 'RK_SHAPE'
  | 'RK_DTYPE'
  | 'RK_DEVICE'
  | 'RK_OUT_OF_MEMORY'
  | 'RK_BACKEND'
  | 'RK_ARGUMENT'
  | 'RK_INDEX'
  | 'RK_DISPOSED'
  | 'RK_DISTRIBUTED';

/** A native tensor handle: (storage, offset, shape, strides, dtype, device). */
export interface NativeTensor {
  readonly shape: number[];
  /** In elements, not bytes. */
  readonly strides: number[];
  /** In elements from the start of the storage. */
  readonly offset: number;
  readonly dtype: NativeDType;
  /** 'cpu' or 'cuda:N'. */
  readonly device: string;
  /** Number of elements of the storage (not of this view). */
  readonly storageSize: number;
  readonly disposed: boolean;
  /** Drops this handle's reference to the storage; queued work keeps its own. Idempotent. */
  dispose(): void;
}

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';
export type UnaryOp = 'neg' | 'tanh' | 'sigmoid' | 'relu' | 'exp' | 'log';
export type ReduceOp = 'sum' | 'mean' | 'max';
export type Reduction = 'mean' | 'sum' | 'none';

export type RnnMode = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';
/**
 * The math of a recurrent stack's cuDNN call: fp32, fp32 inputs with TF32 tensor-core math, or
 * bf16 / fp16 inside the call. Parameters and activations stay float32 on every device; the CPU
 * computes float32 for all four.
 */
export type RnnPrecision = 'fp32' | 'tf32' | 'bf16' | 'fp16';

/** A recurrent stack, as nn.RNN / nn.LSTM / nn.GRU describe it. */
export interface RnnConfig {
  mode: RnnMode;
  inputSize: number;
  hiddenSize: number;
  /** LSTM projection size; 0 for none. hOut = projSize || hiddenSize. */
  projSize: number;
  numLayers: number;
  bidirectional: boolean;
  /** false: no bias parameters (the backend uses a zero bias that is never updated). */
  bias: boolean;
  /** x and output are [batch, time, features] when true, [time, batch, features] when false. */
  batchFirst: boolean;
  /** Dropout probability on the outputs of every layer but the last, when training. */
  dropout: number;
  /** LSTM cell clipping to [-cellClip, cellClip] as cuDNN does it (see LSTMOptions.cellClip); 0 for none. */
  cellClip: number;
  precision: RnnPrecision;
}

/** One canonical parameter inside the flat weight buffer (elements, not bytes). */
export interface RnnParam {
  /** PyTorch's name: weight_ih_l0, weight_hh_l1_reverse, bias_ih_l0, weight_hr_l0, ... */
  name: string;
  shape: number[];
  offset: number;
}

/** What a training forward keeps for the backward pass (workspaces, saved activations). */
export interface RnnReserve {
  readonly disposed: boolean;
  /** Frees it at once (else when garbage collected). Idempotent. */
  dispose(): void;
}

export interface RnnForwardResult {
  /** [B, T, D*hOut] (batchFirst) or [T, B, D*hOut]; zero past each sequence's length. */
  output: NativeTensor;
  /** Final hidden state [L*D, B, hOut], taken at each sequence's own end (reverse: its start). */
  h: NativeTensor;
  /** Final cell state [L*D, B, hiddenSize] (LSTM only, else null). */
  c: NativeTensor | null;
  /** Present when training is true. */
  reserve: RnnReserve | null;
}

export interface RnnBackwardResult {
  /** Same shape as x; zero past each sequence's length. */
  dx: NativeTensor;
  dh0: NativeTensor;
  dc0: NativeTensor | null;
  /** Same layout as the flat weight buffer. */
  dWeights: NativeTensor;
}

export type OptimizerKind = 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';

/**
 * torch.optim's hyperparameters, by our names. Each kind reads only its own; a missing one takes
 * the value shown (lr is required). All must be finite; lr, weightDecay, eps, momentum, alpha and
 * lrDecay >= 0; beta1 and beta2 in [0, 1); nesterov needs momentum > 0 and dampening 0.
 */
export interface OptimizerHyper {
  lr: number;
  /** L2 penalty added to the gradient; AdamW: decoupled, param *= 1 - lr * weightDecay. (0) */
  weightDecay?: number;
  /** sgd, rmsprop (0). */
  momentum?: number;
  /** sgd (0). */
  dampening?: number;
  /** sgd (false). */
  nesterov?: boolean;
  /** adam, adamw (0.9, 0.999). */
  beta1?: number;
  beta2?: number;
  /** adam, adamw, rmsprop, adagrad (1e-8). */
  eps?: number;
  /** rmsprop smoothing constant (0.99). */
  alpha?: number;
  /** rmsprop (false). */
  centered?: boolean;
  /** adagrad (0). */
  lrDecay?: number;
  /** Ascend the gradient (false). */
  maximize?: boolean;
}

export interface DeviceMemory {
  tensors: number;
  bytes: number;
}

/** A GPU as the CUDA backend sees it. */
export interface GpuInfo {
  name: string;
  /** e.g. '9.0'. */
  computeCapability: string;
  /** Bytes. */
  totalMemory: number;
  /**
   * Bytes free when backends() was called, once rnnkit uses the device (memory() lists it);
   * before that null: only the device's CUDA context can tell, and listing GPUs creates none
   * (a context takes hundreds of MB on each GPU, for as long as the process lives).
   */
  freeMemory: number | null;
  multiprocessors: number;
}

/** Versions of the libraries the CUDA backend runs on. */
export interface CudaVersions {
  cudaRuntime: string;
  cudaDriver: string;
  cudnn: string;
  cublas: string;
}

/** One library the CUDA backend needs, and where the loader finds it. */
export interface CudaLibrary {
  /** The file name, e.g. 'libcudnn.so.9'. */
  file: string;
  /**
   * The first searched folder that holds it (for cuDNN: holds it with the sub-libraries the RNN
   * needs); null when none does, and the system's library search decides (LD_LIBRARY_PATH,
   * ld.so.cache).
   */
  folder: string | null;
  /**
   * 'rnnkit': the loader loads it (cuBLASLt, cuBLAS, cuDNN's front library libcudnn.so.9).
   * 'cudnn': one of cuDNN's sub-libraries, which libcudnn.so.9 loads itself, the first time a
   * call needs it, from its own folder.
   */
  loadedBy: 'rnnkit' | 'cudnn';
  /**
   * Folders holding the file that were passed over because what must sit beside it is missing
   * (libcudnn.so.9 without its sub-libraries: a link-only copy). Empty for the others.
   */
  passedOver: { folder: string; missing: string[] }[];
}

/** Where the CUDA backend's libraries come from (native/core/cuda_library_search.h). */
export interface CudaLibrarySearch {
  /** The folders searched, in order (those that exist); after them, the system's search. */
  folders: string[];
  /** In load order: cuBLASLt, cuBLAS, cuDNN, then cuDNN's sub-libraries for the RNN. */
  libraries: CudaLibrary[];
}

export interface BackendInfo {
  /** 'cpu' or 'cuda'. */
  name: string;
  /** 'cpu', 'cuda:N', or 'cuda' for the one entry that says why no CUDA device works. */
  device: string;
  available: boolean;
  /** Why it is unavailable, or details (library versions) when it is. */
  detail: string;
  /** CUDA devices only. */
  gpu?: GpuInfo;
  /** CUDA devices only. */
  versions?: CudaVersions;
}

export interface Binding {
  readonly version: string;
  backends(): BackendInfo[];
  /**
   * Where the CUDA libraries are found, or would be, from the environment now, by the search the
   * loader runs; loads nothing, so it answers without a GPU too. null in a build without CUDA.
   */
  cudaLibrarySearch(): CudaLibrarySearch | null;

  // Creation. The data is copied on the JS thread; the new tensor is ready at once.
  fromArray(data: Float32Array | Int32Array, shape: number[], device: string): NativeTensor;
  full(shape: number[], value: number, dtype: NativeDType, device: string): NativeTensor;

  // Views share storage. `view` checks that every reachable element lies inside the storage.
  view(t: NativeTensor, shape: number[], strides: number[], offset: number): NativeTensor;
  /** Contiguous row-major copy (always a new storage). */
  contiguous(t: NativeTensor): NativeTensor;
  /**
   * A contiguous copy of t on `device` (any pair of cpu / cuda:N), ordered after t's pending
   * writes and before later work on the target.
   */
  toDevice(t: NativeTensor, device: string): NativeTensor;
  cast(t: NativeTensor, dtype: NativeDType): NativeTensor;

  // Reading: the only sync points. Returns the view's elements in row-major order.
  read(t: NativeTensor): Promise<Float32Array | Int32Array>;
  readSync(t: NativeTensor): Float32Array | Int32Array;
  /** Resolves when everything queued on the device so far has run; rejects if the stream is poisoned. */
  sync(device: string): Promise<void>;

  // Ops. Each validates on the calling thread, queues its work on the device's stream and returns
  // its output(s) at once.
  binary(op: BinaryOp, a: NativeTensor, b: NativeTensor): NativeTensor;
  unary(op: UnaryOp, x: NativeTensor): NativeTensor;
  /**
   * Gradient of a unary op: grad * f'(.). `saved` is the op's output for tanh, sigmoid and exp and
   * its input for neg, relu and log.
   */
  unaryBackward(op: UnaryOp, grad: NativeTensor, saved: NativeTensor): NativeTensor;
  /**
   * sum / mean / max over axes (all when empty). max keeps x's dtype, propagates NaN and needs
   * every reduced group to be non-empty.
   */
  reduce(op: ReduceOp, x: NativeTensor, axes: number[], keepDims: boolean): NativeTensor;
  /**
   * Gradient of reduce('max', x, axes, keepDims) for float32 x: zeros like x, with each group's
   * grad element at the group's FIRST maximal element (row-major over the reduced axes; the
   * first NaN if the group holds one). grad has the forward output's shape.
   */
  maxBackward(grad: NativeTensor, x: NativeTensor, axes: number[], keepDims: boolean): NativeTensor;
  /**
   * Inverted dropout of float32 x: each element (row-major index i) is dropped with probability
   * p in [0, 1), decided by (seed, i) alone; mask is 0 (dropped) or 1/(1-p) (kept), output = x * mask.
   */
  dropout(x: NativeTensor, p: number, seed: number): { output: NativeTensor; mask: NativeTensor };
  softmax(x: NativeTensor, axis: number, log: boolean): NativeTensor;
  /** `y` is the forward output (softmax or logSoftmax). */
  softmaxBackward(grad: NativeTensor, y: NativeTensor, axis: number, log: boolean): NativeTensor;
  /** a [..., M, K] @ b [..., K, N] with broadcast batch dims, on oneDNN. */
  matmul(a: NativeTensor, b: NativeTensor): NativeTensor;
  concat(ts: NativeTensor[], axis: number): NativeTensor;
  /** Rows of table [R, ...rest] picked by int32 indices of any shape → [...indices.shape, ...rest]. */
  gather(table: NativeTensor, indices: NativeTensor): NativeTensor;
  /**
   * Scatter-add of grad [...indices.shape, ...rest] into zeros [numRows, ...rest]. Positions whose
   * index equals paddingIdx (in [0, numRows); null or omitted: none) add nothing.
   */
  gatherBackward(grad: NativeTensor, indices: NativeTensor, numRows: number, paddingIdx?: number | null): NativeTensor;
  /**
   * Cross-entropy from logits [..., C] and int32 targets [...]. A row is ignored (adds nothing,
   * is not counted by 'mean', its target need not be a class) when its target equals ignoreIndex
   * or, with lengths (logits [B, T, C], targets [B, T], each length in 1..T), when t >= lengths[b].
   * labelSmoothing eps in [0, 1]: a row's loss is (1-eps)·(-logp[target]) + eps·mean_c(-logp[c]).
   * Returns the loss ([] or, with 'none', targets' shape) and the log-probabilities kept for the
   * backward pass.
   */
  crossEntropy(
    logits: NativeTensor,
    targets: NativeTensor,
    ignoreIndex: number,
    reduction: Reduction,
    labelSmoothing: number,
    lengths: Int32Array | null,
  ): { loss: NativeTensor; logProbs: NativeTensor };
  crossEntropyBackward(
    gradLoss: NativeTensor,
    logProbs: NativeTensor,
    targets: NativeTensor,
    ignoreIndex: number,
    reduction: Reduction,
    labelSmoothing: number,
    lengths: Int32Array | null,
  ): NativeTensor;

  /**
   * The canonical parameters of a recurrent stack inside its flat weight buffer on `device`, in
   * PyTorch's order and shapes, and the buffer's total size in elements.
   */
  rnnLayout(config: RnnConfig, device: string): { params: RnnParam[]; size: number };
  /**
   * The fused recurrent stack. x [B, T, inputSize] (or [T, B, ...]); weights the flat buffer;
   * h0 / c0 [L*D, B, hOut / hiddenSize] or null for zeros; lengths (each in 1..T, any order) or
   * null for all T. `seed` drives dropout between layers when training.
   */
  rnnForward(
    config: RnnConfig,
    x: NativeTensor,
    weights: NativeTensor,
    h0: NativeTensor | null,
    c0: NativeTensor | null,
    lengths: Int32Array | null,
    training: boolean,
    seed: number,
  ): RnnForwardResult;
  /**
   * Gradients of a training forward. dOutput / dh / dc may be null (zero). Needs the forward's
   * arguments again (same tensors) and its reserve.
   */
  rnnBackward(
    config: RnnConfig,
    x: NativeTensor,
    weights: NativeTensor,
    h0: NativeTensor | null,
    c0: NativeTensor | null,
    lengths: Int32Array | null,
    reserve: RnnReserve,
    dOutput: NativeTensor | null,
    dh: NativeTensor | null,
    dc: NativeTensor | null,
  ): RnnBackwardResult;
  /** Copies src into the view dst (same shape and dtype), in stream order. */
  assign(dst: NativeTensor, src: NativeTensor): void;

  // In-place optimizer and clipping ops: one stream task per call; every tensor they write counts
  // a pending write until it ran. A tensor written must not share memory with another argument.
  /**
   * One step of torch.optim's `kind` over all parameters, in place. params[i] and each of
   * states[i] are contiguous float32 of one shape; grads[i] has that shape, any strides. states[i]
   * are, in order: sgd [momentum_buffer] when momentum != 0, else []; adam / adamw [exp_avg,
   * exp_avg_sq]; rmsprop [square_avg, momentum_buffer if momentum > 0, grad_avg if centered];
   * adagrad [sum]. steps[i] counts parameter i's steps including this one (1 on its first step:
   * sgd then copies the gradient into its momentum buffer; adam's bias corrections use it).
   */
  optimizerStep(
    kind: OptimizerKind,
    params: NativeTensor[],
    grads: NativeTensor[],
    states: NativeTensor[][],
    hyper: OptimizerHyper,
    steps: number[],
  ): void;
  /**
   * The total normType-norm of all tensors (float32, shape [], accumulated in double), and, unless
   * maxNorm is Infinity, every tensor scaled in place by min(1, maxNorm / (norm + 1e-6)), as
   * torch.nn.utils.clip_grad_norm_. normType > 0 or Infinity. At least one tensor.
   */
  clipGradNorm(tensors: NativeTensor[], maxNorm: number, normType: number): NativeTensor;
  /** Clamps every element to [min, max] in place (NaN stays NaN). */
  clampInPlace(tensors: NativeTensor[], min: number, max: number): void;

  /** Live tensor handles and allocated storage bytes, per device. */
  memory(): Record<string, DeviceMemory>;
  /** Testing hook: queues a task that fails with `message`, poisoning the device's stream. */
  injectFault(device: string, message: string): void;

  // Profiling (Nsight).
  /** cudaProfilerStart on every initialised CUDA device; RK_DEVICE when no CUDA device is available. */
  profilerStart(): void;
  /** cudaProfilerStop on every initialised CUDA device; RK_DEVICE when no CUDA device is available. */
  profilerStop(): void;
  /** Opens an NVTX range (host enqueue time); a no-op when the CUDA module is not loaded. */
  rangePush(name: string): void;
  /** Closes the innermost NVTX range; a no-op when the CUDA module is not loaded. */
  rangePop(): void;

  // Generation (native/napi/generate.cpp).
  /**
   * Starts decoding in one task on the tensors' stream: the prompts [batch, time] (row-major in
   * promptIds, each row padded after lengths[row]) run through the recurrent stack (config; its
   * dropout is ignored), then each step feeds every row's drawn id back in. Logits are
   * h · headWeightᵀ + headBias with h the last layer's state; table is the embedding [vocab,
   * inputSize], headWeight [vocab, hOut], headBias [vocab] or null. Row i draws maxTokens ids
   * with mulberry32 seeded seeds[i] (lib/random.ts Random), as lib/text's sampler did:
   * temperature (0: greedy), topK (0: all), topP in (0, 1]; `excluded` ids are never drawn.
   * Argument errors throw here; a failure inside the task (a poisoned stream, a NaN logit)
   * rejects next().
   */
  generate(
    config: RnnConfig,
    weights: NativeTensor,
    table: NativeTensor,
    headWeight: NativeTensor,
    headBias: NativeTensor | null,
    promptIds: Int32Array,
    lengths: Int32Array,
    maxTokens: number,
    temperature: number,
    topK: number,
    topP: number,
    seeds: Uint32Array,
    excluded: Int32Array,
  ): NativeGeneration;

  // Gloo process groups (collectives over TCP on CPU tensors; native/napi/gloo.cpp). Each
  // collective validates here (RK_DEVICE: not on cpu; RK_SHAPE: not contiguous; RK_DTYPE: 'mean'
  // of int32; RK_DISPOSED), then runs at its place in the CPU stream; its promise rejects with
  // RK_DISTRIBUTED on a timeout, a lost peer or ranks that disagree on the call.
  /** Whether this build has the Gloo module and it loads: detail is its version, or why not. */
  glooAvailable(): { available: boolean; detail: string };
  /**
   * The group at once, and the rendezvous' promise (queued on the CPU stream: later collectives
   * wait behind it). RK_DEVICE when Gloo is unavailable, RK_ARGUMENT for bad options.
   */
  glooCreate(options: NativeGlooOptions): [NativeGlooGroup, Promise<void>];
  /** In place. */
  glooAllReduce(group: NativeGlooGroup, t: NativeTensor, op: GlooReduceOp): Promise<void>;
  /** In place: rank src's elements to every rank. */
  glooBroadcast(group: NativeGlooGroup, t: NativeTensor, src: number): Promise<void>;
  /** [worldSize, ...t.shape], rank r's tensor at r; written when the promise resolves. */
  glooAllGather(group: NativeGlooGroup, t: NativeTensor): [NativeTensor, Promise<void>];
  glooBarrier(group: NativeGlooGroup): Promise<void>;
  /** Leaves the group once its queued collectives ran; later calls throw RK_DISTRIBUTED. */
  glooDestroy(group: NativeGlooGroup): void;
}

export type GlooReduceOp = 'sum' | 'mean' | 'max' | 'min';

/** An opaque native process group. */
export interface NativeGlooGroup {
  readonly __glooGroup: unique symbol;
}

export interface NativeGlooOptions {
  rank: number;
  worldSize: number;
  timeoutMs: number;
  store: { kind: 'file'; path: string } | { kind: 'tcp'; host: string; port: number };
  /** The address this rank listens on and gives its peers (default: its hostname's). */
  hostname?: string;
  /** A network interface to listen on instead (as GLOO_SOCKET_IFNAME). */
  iface?: string;
}

/** A running native generation. */
export interface NativeGeneration {
  /**
   * The tokens drawn since the last call (waiting for at least one), or null once all are taken.
   * Rejects once with the task's failure. One call at a time.
   */
  next(): Promise<GeneratedBatch | null>;
  /** Stops the task at its next step (the tokens drawn until then stay queued). */
  cancel(): void;
}

/** Tokens in the order drawn: token i is row rows[i]'s, logits [i * vocab, (i + 1) * vocab). */
export interface GeneratedBatch {
  rows: Int32Array;
  ids: Int32Array;
  logits: Float32Array;
}

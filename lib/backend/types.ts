// The native ops every device implements, each declared once with one input struct and one result
// shape; lib/backend/cpu.ts and cuda.ts implement them, index.ts picks by the operands' device.
import type { BatchMetric, EntropicRegType, Metric, Status } from '../core/vocabulary.js';
import type { CudaBuffer } from '../cuda/native-cuda.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { DType, GradMode } from '../core/vocabulary.js';
import type { Tensor } from '../tensor/tensor.js';

/** Values of a result: host memory on the CPU, a GPU buffer on cuda. */
export type Storage = FloatArray | CudaBuffer;

/** What a solve keeps for its backward: nothing, every iteration (autodiff), or the last step. */
export type SinkhornRecord = 'none' | 'history' | 'last_step';

/** One validated entropic problem: M [n, m], weights a [n] and b [m] as the kernels read them (float64). */
export interface SinkhornInput {
  M: Tensor;
  a: Tensor;
  b: Tensor;
  aData: Float64Array;
  bData: Float64Array;
  n: number;
  m: number;
  reg: number;
  regType: EntropicRegType;
  maxIter: number;
  tol: number;
  record: SinkhornRecord;
}

/** A forward solve, the same fields on every device (POT's OTResult before autograd). */
export interface SinkhornOutput {
  /** valueLinear + reg·regulariser(plan). */
  value: number;
  /** <M, plan>. */
  valueLinear: number;
  /** [n * m], M's dtype. */
  plan: Storage;
  logU: Storage;
  logV: Storage;
  status: Status;
  /** POT's log['niter']. */
  nIter: number;
  /** What the adjoint replays (its layout is the device's own); null when nothing was recorded. */
  saved: unknown;
}

/** Incoming gradients of a solve's outputs (null where none arrived). */
export interface SinkhornCotangents {
  value: number;
  valueLinear: number;
  plan: Tensor | null;
  logU: Tensor | null;
  logV: Tensor | null;
}

/** Gradients of the cotangents w.r.t. M, a, b (dM null when M does not require grad; any dtype). */
export interface SinkhornGrads {
  dM: Tensor | null;
  da: Tensor;
  db: Tensor;
}

/** One validated dist call: x [n, d], y [m, d] (y may be x), one dtype. */
export interface DistInput {
  x: Tensor;
  y: Tensor;
  /** y is x (POT's `X is Y`): the diagonal is exactly 0. */
  same: boolean;
  metric: Metric;
  p: number;
  n: number;
  m: number;
  d: number;
}

/** One validated distBatch call: X [B, n, d], Y [B, m, d] (Y may be X), one dtype. */
export interface DistBatchInput {
  X: Tensor;
  Y: Tensor;
  same: boolean;
  B: number;
  n: number;
  m: number;
  d: number;
  metric: BatchMetric;
  p: number;
}

/** One validated solveBatch call: M [B, n, m], weights (null = uniform) and the solver's controls. */
export interface BatchSinkhornInput {
  M: Tensor;
  a: Tensor | null;
  b: Tensor | null;
  /** a and b as the kernels read them (uniform where a or b is null), M's dtype. */
  aData: FloatArray;
  bData: FloatArray;
  dtype: DType;
  B: number;
  n: number;
  m: number;
  reg: number;
  maxIter: number;
  tol: number;
  solver: 'log_sinkhorn' | 'sinkhorn';
  regType: 'entropy' | 'kl';
  grad: GradMode;
  stopRule: 'batch' | 'problem';
  record: 'none' | 'all' | 'last';
}

/** A solved batch, the same fields on every device; tensors carry the grad mode's gradients. */
export interface BatchSinkhornOutput {
  value: Tensor;
  valueLinear: Tensor;
  plan: Tensor;
  potentials: readonly [Tensor, Tensor];
  statusPerProblem: readonly Status[];
  nIter: number;
  nIterPerProblem: Int32Array;
}

/** What a device's kernels cover (the GPU ones cover less than the CPU ones). */
export interface Features {
  /** distBatch metrics. */
  distBatchMetrics: readonly BatchMetric[];
  /** Metrics of the fused dual kernels. */
  dualMetrics: readonly Metric[];
  /** The native entry points scan the values (finite, weights >= 0), so the facade need not. */
  nativeValueChecks: boolean;
}

/** One validated dual-loss or dual-plan call (POT: ot.stochastic): tensors in one dtype, xt may be xs. */
export interface DualInput {
  kind: 'entropic' | 'quadratic';
  metric: Metric;
  p: number;
  reg: number;
  u: Tensor;
  v: Tensor;
  xs: Tensor;
  xt: Tensor;
  ws: Tensor | null;
  wt: Tensor | null;
  n: number;
  m: number;
  d: number;
  dtype: DType;
}

/** The optimiser of a native dual ascent (torch.optim's hyper-parameters, resolved). */
export type DualAscentOptimizer =
  | { optimizer: 'adam'; lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; amsgrad: boolean }
  | { optimizer: 'sgd'; lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean };

/** A whole dual ascent (ot.stochastic.solveDual*): u and v are the initial potentials. */
export interface DualAscentInput extends DualInput {
  steps: number;
  optimizer: DualAscentOptimizer;
}

export interface DualAscentOutput {
  u: Tensor;
  v: Tensor;
  /** The objective at each step's potentials, before its update. */
  history: Float64Array;
  /** The objective at the final potentials. */
  value: number;
}

export interface Backend {
  readonly features: Features;
  /** M = metric(x, y) [n, m] as a tensor on this device, differentiable w.r.t. x and y. */
  dist(pb: DistInput): Tensor;
  distAsync(fn: string, pb: DistInput, signal: AbortSignal | undefined): Promise<Tensor>;
  /** Log-domain Sinkhorn (POT: sinkhorn_log), recording what `pb.record` asks for. */
  sinkhorn(pb: SinkhornInput): SinkhornOutput;
  sinkhornAsync(fn: string, pb: SinkhornInput, signal: AbortSignal | undefined): Promise<SinkhornOutput>;
  /** The vector-Jacobian product of the recorded iterations (autodiff) or of the last step. */
  sinkhornAdjoint(pb: SinkhornInput, out: SinkhornOutput, cot: SinkhornCotangents): SinkhornGrads;
  /** M[b] = metric(X[b], Y[b]) [B, n, m], differentiable w.r.t. X and Y. */
  distBatch(r: DistBatchInput): Tensor;
  distBatchAsync(fn: string, r: DistBatchInput, signal: AbortSignal | undefined): Promise<Tensor>;
  /** B entropic problems at once (POT: ot.batch.solve_batch); the caller warns about their status. */
  batchSinkhorn(fn: string, r: BatchSinkhornInput): BatchSinkhornOutput;
  batchSinkhornAsync(fn: string, r: BatchSinkhornInput, signal: AbortSignal | undefined): Promise<BatchSinkhornOutput>;
  /** The dual objective as a scalar tensor whose gradients the same pass computed. */
  dualLoss(fn: string, pb: DualInput): Tensor;
  dualLossAsync(fn: string, pb: DualInput, signal: AbortSignal | undefined): Promise<Tensor>;
  /** The primal plan [n, m] of dual potentials (detached). */
  dualPlan(fn: string, pb: DualInput): Tensor;
  dualPlanAsync(fn: string, pb: DualInput, signal: AbortSignal | undefined): Promise<Tensor>;
  /** `steps` optimiser updates of the potentials in one native call (absent: not on this device yet). */
  dualAscent?(fn: string, pb: DualAscentInput): DualAscentOutput;
  dualAscentAsync?(fn: string, pb: DualAscentInput, signal: AbortSignal | undefined): Promise<DualAscentOutput>;
  /** s · t as a new gradient (storage is shared only where it is never written in place). */
  scaled(t: Tensor, s: number): Tensor;
}

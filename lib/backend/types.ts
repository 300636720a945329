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
  /** Unbalanced KL strengths of the two marginals (POT's reg_m); omitted or Infinity: that marginal is exact. */
  ua?: number;
  ub?: number;
  /** The unbalanced penalty: 'KL' (default) or 'TV'. */
  marginal?: 'KL' | 'TV' | 'L2';
  /** Warm start of the row log-potentials (reg annealing); omitted: 0, as POT. */
  initU?: Float64Array | null;
  /** The plan will be read (e.g. the envelope gradient of M): a sync CPU solve writes it instead of leaving it for later. */
  planWanted?: boolean;
}

/** A forward solve, the same fields on every device (POT's OTResult before autograd). */
export interface SinkhornOutput {
  /** valueLinear + reg·regulariser(plan). */
  value: number;
  /** <M, plan>. */
  valueLinear: number;
  /** [n * m], M's dtype; or its maker (call planOf) when the solve left it to be built when wanted. */
  plan: Storage | (() => Storage);
  logU: Storage;
  logV: Storage;
  status: Status;
  /** POT's log['niter']. */
  nIter: number;
  /** What the adjoint replays (its layout is the device's own); null when nothing was recorded. */
  saved: unknown;
}

/** A solve's plan, built now if the solve left it for later (each maker builds it at most once). */
export function planOf(out: SinkhornOutput): Storage {
  return typeof out.plan === 'function' ? out.plan() : out.plan;
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
  /** The plans, or their maker when they are built on first read. */
  plan: Tensor | (() => Tensor);
  potentials: readonly [Tensor, Tensor];
  statusPerProblem: readonly Status[];
  nIter: number;
  nIterPerProblem: Int32Array;
}

/** One validated exact problem (POT: ot.emd): M [n, m], weights as the kernel reads them (float64, b scaled to a's mass). */
export interface EmdInput {
  M: Tensor;
  aData: Float64Array;
  bData: Float64Array;
  n: number;
  m: number;
  /** POT's numItermax: at most maxIter - 1 pivots of the network simplex. */
  maxIter: number;
  /** Value and duals only: the n x m plan is not made (plan null), e.g. emd2 when M needs no gradient. */
  valueOnly: boolean;
}

/**
 * An exact solve, the same fields on every device; arrays in M's dtype, in host memory on every device
 * (the network simplex runs on the CPU; cuda results are uploaded when first used). An infeasible
 * problem is an ERR_OT_VALUE error.
 */
export interface EmdOutput {
  /** <M, plan>. */
  value: number;
  /** [n * m]: at most n + m - 1 nonzeros (a basic solution); null when the input asked for valueOnly. */
  plan: FloatArray | null;
  /** POT's centred duals (center_dual=True; zero-weight entries get feasible duals, as POT's estimate_dual_null_weights). */
  u: FloatArray;
  v: FloatArray;
  status: Status;
  /** Pivots of the network simplex. */
  nIter: number;
}

/** B exact problems of one size: M [B, n, m], weights [B * n] and [B * m] (float64, b scaled to a's mass per problem). */
export interface EmdBatchInput {
  M: Tensor;
  aData: Float64Array;
  bData: Float64Array;
  B: number;
  n: number;
  m: number;
  maxIter: number;
}

/**
 * The nonzero entries of B plans of n x m: `width` slots per problem (n + m - 1), each a flat index
 * i * m + j into its problem's plan (-1: unused) and the mass there. An optimal exact plan has at
 * most n + m - 1 nonzeros, so this is what a batch returns instead of B mostly-zero dense plans.
 */
export interface PlanSupports {
  index: Int32Array;
  mass: Float64Array;
  width: number;
}

/** B exact solves: value [B], the plans' supports, u [B * n], v [B * m] (M's dtype), status and pivots per problem. */
export interface EmdBatchOutput {
  value: Float64Array;
  supports: PlanSupports;
  u: FloatArray;
  v: FloatArray;
  statusPerProblem: readonly Status[];
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

/** One validated wasserstein1d call: the columns of u [n, k] and v [m, k] are k independent 1-D problems. */
export interface Wasserstein1dInput {
  u: Tensor;
  v: Tensor;
  /** [n, k] per column, [n] shared by every column, or null (uniform 1/n); u's dtype. */
  uWeights: Tensor | null;
  vWeights: Tensor | null;
  n: number;
  m: number;
  k: number;
  /** Exponent of the ground cost |x - y|^p, >= 1. */
  p: number;
  /** Shape of the value: [] for 1-d samples, [k] for [n, k] ones. */
  shape: readonly number[];
}

/** One validated emd1d call: xA [n], xB [m], weights (null = uniform) of equal mass, u's dtype. */
export interface Emd1dInput {
  xA: Tensor;
  xB: Tensor;
  a: Tensor | null;
  b: Tensor | null;
  n: number;
  m: number;
  p: number;
  /** The n x m plan, or only its pieces. */
  dense: boolean;
}

/** The non-zero entries of a 1-D plan (POT's coo_matrix), in the order of the monotone walk. */
export interface PlanPieces {
  rows: Uint32Array;
  cols: Uint32Array;
  mass: Float64Array;
}

/** A solved 1-D problem, the same fields on every device. */
export interface Emd1dOutput {
  /** sum of mass * |xA_i - xB_j|^p over the plan (POT: emd2_1d). */
  value: number;
  /** [n, m] when dense, else null. */
  plan: Tensor | null;
  /** The plan's pieces when not dense, else null. */
  pieces: PlanPieces | null;
}

/** One validated sliced call: xS [n, d], xT [m, d], projections [d, k], weights or null; one dtype. */
export interface SlicedInput {
  xS: Tensor;
  xT: Tensor;
  a: Tensor | null;
  b: Tensor | null;
  projections: Tensor;
  n: number;
  m: number;
  d: number;
  k: number;
  p: number;
  /** Which distance the value tensor is: the mean over projections or the max (POT: max_sliced). */
  kind: 'mean' | 'max';
}

/** Sliced distances: `value` (differentiable w.r.t. xS and xT) and each projection's W_p^p. */
export interface SlicedOutput {
  value: Tensor;
  /** [k] float64: each projection's W_p^p (POT's log 'projected_emds'). */
  projected: Float64Array;
  /** The projection giving the max (first on ties). */
  argMax: number;
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
  /** `progress`: the shared slot the kernel reports (iteration, error) into (core/progress.ts; CPU only). */
  sinkhornAsync(fn: string, pb: SinkhornInput, signal: AbortSignal | undefined, progress?: BigInt64Array): Promise<SinkhornOutput>;
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
  /** Exact OT by the network simplex (POT: ot.emd with log=True); the caller warns about 'max_iter'. */
  emd(fn: string, pb: EmdInput): EmdOutput;
  emdAsync(fn: string, pb: EmdInput, signal: AbortSignal | undefined): Promise<EmdOutput>;
  /** B exact problems on a team of threads. */
  emdBatch(fn: string, pb: EmdBatchInput): EmdBatchOutput;
  emdBatchAsync(fn: string, pb: EmdBatchInput, signal: AbortSignal | undefined): Promise<EmdBatchOutput>;
  /** W_p^p of each column's 1-D problem (POT: wasserstein_1d), differentiable w.r.t. u and v. */
  wasserstein1d(pb: Wasserstein1dInput): Tensor;
  wasserstein1dAsync(fn: string, pb: Wasserstein1dInput, signal: AbortSignal | undefined): Promise<Tensor>;
  /** The monotone plan of one 1-D problem (POT: emd_1d), not differentiable. */
  emd1d(pb: Emd1dInput): Emd1dOutput;
  emd1dAsync(fn: string, pb: Emd1dInput, signal: AbortSignal | undefined): Promise<Emd1dOutput>;
  /** Sliced (mean) or max-sliced Wasserstein distance over the given projections, in one native pass. */
  sliced(pb: SlicedInput): SlicedOutput;
  slicedAsync(fn: string, pb: SlicedInput, signal: AbortSignal | undefined): Promise<SlicedOutput>;
  /** `steps` optimiser updates of the potentials in one native call (absent: not on this device yet). */
  dualAscent?(fn: string, pb: DualAscentInput): DualAscentOutput;
  dualAscentAsync?(fn: string, pb: DualAscentInput, signal: AbortSignal | undefined): Promise<DualAscentOutput>;
  /** s · t as a new gradient (storage is shared only where it is never written in place). */
  scaled(t: Tensor, s: number): Tensor;
  /** Unbalanced OT by majorization-minimization (POT: mm_unbalanced); CPU only for now. */
  mmUnbalanced?(pb: MmUnbalancedInput): MmUnbalancedOutput;
  mmUnbalancedAsync?(fn: string, pb: MmUnbalancedInput, signal: AbortSignal | undefined): Promise<MmUnbalancedOutput>;
  /** Balanced entropic OT between point clouds, the cost recomputed in tiles (POT: solve_sample lazy). */
  lazySinkhorn?(pb: LazySinkhornInput): LazySinkhornOutput;
  /** `progress`: the shared slot the kernel reports (iteration, error) into (core/progress.ts). */
  lazySinkhornAsync?(fn: string, pb: LazySinkhornInput, signal: AbortSignal | undefined, progress?: BigInt64Array): Promise<LazySinkhornOutput>;
}

/** One validated lazy problem: x [n, d], y [m, d] and the weights (or null: uniform) in one dtype; cost |x - y|^2. */
export interface LazySinkhornInput {
  x: Tensor;
  y: Tensor;
  a: Tensor | null;
  b: Tensor | null;
  n: number;
  m: number;
  d: number;
  reg: number;
  maxIter: number;
  tol: number;
  /** Columns per cost tile, 0: sized by the kernel. */
  tile: number;
  /** Make valueLinear differentiable too (its implicit gradient: conjugate gradients after the iterations). */
  linearGrad?: boolean;
}

/**
 * value (differentiable w.r.t. x, y, a, b by the envelope theorem), valueLinear (detached, or with its implicit
 * gradient when the input asked for linearGrad), the log-potentials.
 */
export interface LazySinkhornOutput {
  value: Tensor;
  valueLinear: Tensor;
  f: Float64Array;
  g: Float64Array;
  status: Status;
  nIter: number;
  /** linearGrad: whether the conjugate gradients reached their tolerance (true otherwise). */
  linearGradConverged: boolean;
}

/** One validated majorization-minimization problem (weights float64, strengths finite). */
export interface MmUnbalancedInput {
  M: Tensor;
  aData: Float64Array;
  bData: Float64Array;
  n: number;
  m: number;
  reg: number;
  ua: number;
  ub: number;
  div: 'KL' | 'L2';
  maxIter: number;
  tol: number;
}

export interface MmUnbalancedOutput {
  /** [n * m], M's dtype. */
  plan: FloatArray;
  nIter: number;
  status: Status;
}

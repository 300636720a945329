// Typed view of the addon's CUDA exports (native/napi/cuda.cc, cuda_sinkhorn.cc, cuda_batch_dist.cc). Every entry exists in
// every build; without CUDA compiled in, or without a usable GPU, they throw (or reject) ERR_OT_DEVICE.
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { Metric } from '../core/vocabulary.js';

export type CudaDType = 'float32' | 'float64' | 'int32' | 'uint8';

/** GPU memory owned by the addon; freed by the garbage collector or at once by free(). */
export interface CudaBuffer {
  /** Size in bytes (kept after free()). */
  readonly byteLength: number;
  /** Number of elements of `dtype`. */
  readonly length: number;
  readonly dtype: CudaDType;
  /** True once free() was called; a freed buffer cannot be passed to a kernel. */
  readonly freed: boolean;
  /** Releases this handle's GPU memory now (a kernel still running on it keeps it until it ends). */
  free(): void;
}

/** A kernel input: host data or data already on the GPU (same dtype across one call). */
export type CudaOperand = FloatArray | CudaBuffer;
export type CudaMetric = Metric;

type DistHead = [x: CudaOperand, y: CudaOperand, n: number, m: number, d: number, metric: CudaMetric, p: number, same: boolean];
type DistBackHead = [...DistHead, G: CudaOperand, needX: boolean, needY: boolean];
/** (X [B*n*d], Y [B*m*d] (X again for dist_batch(X)), B, n, m, d, metric, p) */
type DistBatchHead = [X: CudaOperand, Y: CudaOperand, B: number, n: number, m: number, d: number, metric: 'sqeuclidean' | 'euclidean' | 'minkowski', p: number];
type DistBatchBackHead = [...DistBatchHead, G: CudaOperand, needX: boolean, needY: boolean];

export interface CudaSinkhornOptions {
  /** Return the plan (default true). */
  plan?: boolean;
  /** Return the iterate history the adjoint needs (default false). */
  history?: boolean;
  /** Starting u (default zeros, as POT). */
  u0?: CudaOperand;
  /** With maxIter = 1: update u from this v (and v from u0), POT's grad='last_step' step. */
  v0?: CudaOperand;
}
/** Result of sinkhorn_log on the GPU; A is FloatArray (host form) or CudaBuffer (Device form). */
export interface CudaSinkhornResult<A> {
  logU: A;
  logV: A;
  plan: A | null;
  /** [(nIter + 1) × n]: u0, then u after each iteration (history: true). */
  historyU: A | null;
  /** [nIter × m]: v after each iteration (history: true). */
  historyV: A | null;
  nIter: number;
  status: 'converged' | 'max_iter' | 'diverged';
  /** Last marginal error ||colsum(plan) - b||_2 (NaN when never checked). */
  err: number;
  /** <M, plan> */
  valueLinear: number;
  /** Σ plan log(plan + 1e-16) */
  entropy: number;
  /** Σ plan log(plan / (a b^T) + 1e-16) */
  kl: number;
}
type SinkhornArgs = [
  M: CudaOperand, a: CudaOperand | null, b: CudaOperand | null, n: number, m: number, reg: number, maxIter: number,
  tol: number, options?: CudaSinkhornOptions, cancel?: Int32Array,
];

/** Upstream gradients of the quantities sinkhorn_log returned (all optional). */
export interface CudaSinkhornCotangents {
  gLogU?: CudaOperand;
  gLogV?: CudaOperand;
  gPlan?: CudaOperand;
  valueLinear?: number;
  entropy?: number;
  kl?: number;
  /** The v0 of a last_step run (K = 1): the constant v its u-update read. */
  v0?: CudaOperand;
  /** false: M in <M, plan> and a, b in the KL reference are constants (POT's last_step value). Default true. */
  directTerms?: boolean;
}
type AdjointArgs = [
  M: CudaOperand, a: CudaOperand | null, b: CudaOperand | null, n: number, m: number, reg: number,
  historyU: CudaOperand, historyV: CudaOperand, K: number, cotangents?: CudaSinkhornCotangents, cancel?: Int32Array,
];
export interface CudaAdjointResult<A> {
  dM: A;
  da: A;
  db: A;
}

export interface CudaBatchOptions {
  plan?: boolean;
  /** 'batch' (POT: stop when the worst error is below tol) or 'each' (per-problem early exit). */
  stop?: 'batch' | 'each';
}
export interface CudaBatchResult<A> {
  u: A;
  v: A;
  plan: A | null;
  valueLinear: FloatArray;
  entropy: FloatArray;
  kl: FloatArray;
  err: FloatArray;
  nIter: Int32Array;
  converged: Uint8Array;
  status: 'converged' | 'max_iter' | 'diverged';
}
type BatchArgs = [
  M: CudaOperand, a: CudaOperand | null, b: CudaOperand | null, B: number, n: number, m: number, reg: number,
  maxIter: number, tol: number, solver: 'log_sinkhorn' | 'sinkhorn', options?: CudaBatchOptions, cancel?: Int32Array,
];

type DualHead = [
  u: CudaOperand, v: CudaOperand, xs: CudaOperand, xt: CudaOperand, ws: CudaOperand | null, wt: CudaOperand | null,
  n: number, m: number, d: number, reg: number, kind: 'entropic' | 'quadratic',
];
export interface CudaDualNeeds {
  du?: boolean;
  dv?: boolean;
  dxs?: boolean;
  dxt?: boolean;
  dws?: boolean;
  dwt?: boolean;
}
export interface CudaDualResult<A> {
  loss: number;
  du: A | null;
  dv: A | null;
  dxs: A | null;
  dxt: A | null;
  dws: A | null;
  dwt: A | null;
}

export interface NativeCuda {
  cudaAvailable(): boolean;
  /** The class of CudaBuffer objects (absent in builds without CUDA). */
  CudaBuffer?: abstract new (...args: never[]) => CudaBuffer;
  cudaAlloc(length: number, dtype?: CudaDType): CudaBuffer;
  cudaAllocAsync(length: number, dtype?: CudaDType): Promise<CudaBuffer>;
  cudaUpload(data: FloatArray | Int32Array | Uint8Array): CudaBuffer;
  cudaUploadAsync(data: FloatArray | Int32Array | Uint8Array): Promise<CudaBuffer>;
  cudaDownload(buf: CudaBuffer): FloatArray | Int32Array | Uint8Array;
  cudaDownloadAsync(buf: CudaBuffer): Promise<FloatArray | Int32Array | Uint8Array>;

  cudaDist(...args: DistHead): FloatArray;
  cudaDistAsync(...args: DistHead): Promise<FloatArray>;
  cudaDistDevice(...args: DistHead): CudaBuffer;
  cudaDistDeviceAsync(...args: DistHead): Promise<CudaBuffer>;
  cudaDistBackward(...args: DistBackHead): [FloatArray | null, FloatArray | null];
  cudaDistBackwardAsync(...args: DistBackHead): Promise<[FloatArray | null, FloatArray | null]>;
  cudaDistBackwardDevice(...args: DistBackHead): [CudaBuffer | null, CudaBuffer | null];
  cudaDistBackwardDeviceAsync(...args: DistBackHead): Promise<[CudaBuffer | null, CudaBuffer | null]>;

  cudaDistBatch(...args: DistBatchHead): FloatArray;
  cudaDistBatchAsync(...args: DistBatchHead): Promise<FloatArray>;
  cudaDistBatchDevice(...args: DistBatchHead): CudaBuffer;
  cudaDistBatchDeviceAsync(...args: DistBatchHead): Promise<CudaBuffer>;
  cudaDistBatchBackward(...args: DistBatchBackHead): [FloatArray | null, FloatArray | null];
  cudaDistBatchBackwardAsync(...args: DistBatchBackHead): Promise<[FloatArray | null, FloatArray | null]>;
  cudaDistBatchBackwardDevice(...args: DistBatchBackHead): [CudaBuffer | null, CudaBuffer | null];
  cudaDistBatchBackwardDeviceAsync(...args: DistBatchBackHead): Promise<[CudaBuffer | null, CudaBuffer | null]>;

  cudaSinkhornLog(...args: SinkhornArgs): CudaSinkhornResult<FloatArray>;
  cudaSinkhornLogAsync(...args: SinkhornArgs): Promise<CudaSinkhornResult<FloatArray>>;
  cudaSinkhornLogDevice(...args: SinkhornArgs): CudaSinkhornResult<CudaBuffer>;
  cudaSinkhornLogDeviceAsync(...args: SinkhornArgs): Promise<CudaSinkhornResult<CudaBuffer>>;
  cudaSinkhornLogAdjoint(...args: AdjointArgs): CudaAdjointResult<FloatArray>;
  cudaSinkhornLogAdjointAsync(...args: AdjointArgs): Promise<CudaAdjointResult<FloatArray>>;
  cudaSinkhornLogAdjointDevice(...args: AdjointArgs): CudaAdjointResult<CudaBuffer>;
  cudaSinkhornLogAdjointDeviceAsync(...args: AdjointArgs): Promise<CudaAdjointResult<CudaBuffer>>;

  cudaSolveBatch(...args: BatchArgs): CudaBatchResult<FloatArray>;
  cudaSolveBatchAsync(...args: BatchArgs): Promise<CudaBatchResult<FloatArray>>;
  cudaSolveBatchDevice(...args: BatchArgs): CudaBatchResult<CudaBuffer>;
  cudaSolveBatchDeviceAsync(...args: BatchArgs): Promise<CudaBatchResult<CudaBuffer>>;

  cudaDualLoss(...args: [...DualHead, need?: CudaDualNeeds, cancel?: Int32Array]): CudaDualResult<FloatArray>;
  cudaDualLossAsync(...args: [...DualHead, need?: CudaDualNeeds, cancel?: Int32Array]): Promise<CudaDualResult<FloatArray>>;
  cudaDualLossDevice(...args: [...DualHead, need?: CudaDualNeeds, cancel?: Int32Array]): CudaDualResult<CudaBuffer>;
  cudaDualLossDeviceAsync(
    ...args: [...DualHead, need?: CudaDualNeeds, cancel?: Int32Array]
  ): Promise<CudaDualResult<CudaBuffer>>;
  cudaDualPlan(...args: DualHead): FloatArray;
  cudaDualPlanAsync(...args: DualHead): Promise<FloatArray>;
  cudaDualPlanDevice(...args: DualHead): CudaBuffer;
  cudaDualPlanDeviceAsync(...args: DualHead): Promise<CudaBuffer>;
}

export const nativeCuda = addon as unknown as NativeCuda;

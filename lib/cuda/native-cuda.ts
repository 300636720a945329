// Typed view of the addon's exports on the GPU: the buffer helpers (native/napi/cuda.cc), and each op's one export
// (distForward, sinkhornSolve, ...) as it answers when its main array is a CudaBuffer: the native binding then runs
// the op's CUDA Job (native/napi/cuda*.cc), which reads the CPU binding's options object and returns its fields, the
// large arrays kept on the GPU. The buffer helpers exist in every build; without CUDA compiled in, or without a usable
// GPU, they (and the ops given a CudaBuffer) throw (or reject) ERR_OT_DEVICE.
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { Metric } from '../core/vocabulary.js';
import type { DistBatchBackwardOptions, DistBatchOptions, NativeSolveBatchOut, SolveBatchOptions } from '../backend/native-batch.js';
import type { DistBackwardOptions, DistFields } from '../backend/native-costs.js';
import type { DualFields, DualLossFields } from '../backend/native-dual.js';
import type { Wasserstein1dOptions } from '../backend/native-oned.js';
import type { SlicedOptions } from '../backend/native-sliced.js';
import type { LazySinkhornOptions, LazySinkhornRaw } from '../backend/native-lazy.js';
import type { NativeSolveOut, SinkhornBackwardOptions, SinkhornSolveOptions } from '../backend/native-solve.js';

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

/** A CPU binding's options with its float arrays as kernel operands (host arrays or GPU buffers). */
export type OnGpu<T> = {
  [K in keyof T]: T[K] extends FloatArray
    ? CudaOperand
    : T[K] extends FloatArray | null
      ? CudaOperand | null
      : T[K] extends FloatArray | null | undefined
        ? CudaOperand | null | undefined
        : T[K];
};
/** OnGpu<T> with the op's main array `K` a GPU buffer: what routes the call to the op's CUDA Job. */
export type OnDevice<T, K extends keyof T> = Omit<OnGpu<T>, K> & { [P in K]: CudaBuffer };

/** sinkhornSolve's result on the GPU: its CPU fields, the arrays on the GPU (history in the GPU adjoint's layout). */
export type CudaSolveOut = Omit<NativeSolveOut, 'plan' | 'logU' | 'logV' | 'history' | 'logIterations' | 'absorptions'> & {
  plan: CudaBuffer;
  logU: CudaBuffer;
  logV: CudaBuffer;
  history?: CudaBuffer;
};

/** solveBatch's result on the GPU: its CPU fields, plan and potentials on the GPU (no trace: no GPU adjoint). */
export type CudaSolveBatchOut = Omit<NativeSolveBatchOut, 'sol' | 'work' | 'trace'> & {
  plan: CudaBuffer;
  pot0: CudaBuffer;
  pot1: CudaBuffer;
};

/** The fields of the CPU dualLoss (native/napi/dual.cc) without its host `out` slab: the gradients come back as buffers. */
type DualLossOptions = Omit<DualLossFields, 'out'>;
/** dualLoss on the GPU: the loss and the wanted gradients as buffers (null when not wanted). */
export interface CudaDualResult {
  loss: number;
  du: CudaBuffer | null;
  dv: CudaBuffer | null;
  dxs: CudaBuffer | null;
  dxt: CudaBuffer | null;
  dws: CudaBuffer | null;
  dwt: CudaBuffer | null;
}

/** wasserstein1d on the GPU: the values on the host ([k], float64), the wanted gradients on the GPU. */
export interface CudaWasserstein1dOut {
  value: Float64Array;
  gradU: CudaBuffer | null;
  gradV: CudaBuffer | null;
}

/** slicedWasserstein on the GPU: the CPU binding's values, the wanted gradients on the GPU. */
export interface CudaSlicedOut {
  value: number;
  maxValue: number;
  argMax: number;
  projected: Float64Array;
  gradS: CudaBuffer | null;
  gradT: CudaBuffer | null;
}

/** lazySinkhorn on the GPU: the CPU binding's fields, the point gradients on the GPU. */
export type CudaLazyRaw = Omit<LazySinkhornRaw, 'gradX' | 'gradY'> & { gradX: CudaBuffer | null; gradY: CudaBuffer | null };

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

  // The CPU bindings' options and result fields (lib/backend/native-*.ts), results on the GPU.
  distForward(options: OnDevice<DistFields, 'x'>): CudaBuffer;
  distForwardAsync(options: OnDevice<DistFields, 'x'>): Promise<CudaBuffer>;
  distBackward(options: OnDevice<Omit<DistBackwardOptions, 'M' | 'cancel'>, 'x'>): [CudaBuffer | null, CudaBuffer | null];
  distBackwardAsync(options: OnDevice<Omit<DistBackwardOptions, 'M' | 'cancel'>, 'x'>): Promise<[CudaBuffer | null, CudaBuffer | null]>;
  distBatch(options: OnDevice<Omit<DistBatchOptions, 'cancel'>, 'X'>): CudaBuffer;
  distBatchAsync(options: OnDevice<Omit<DistBatchOptions, 'cancel'>, 'X'>): Promise<CudaBuffer>;
  distBatchBackward(options: OnDevice<Omit<DistBatchBackwardOptions, 'M' | 'cancel'>, 'X'>): { gX?: CudaBuffer; gY?: CudaBuffer };
  distBatchBackwardAsync(options: OnDevice<Omit<DistBatchBackwardOptions, 'M' | 'cancel'>, 'X'>): Promise<{ gX?: CudaBuffer; gY?: CudaBuffer }>;
  sinkhornSolve(options: OnDevice<SinkhornSolveOptions, 'M'>): CudaSolveOut;
  sinkhornSolveAsync(options: OnDevice<SinkhornSolveOptions, 'M'>): Promise<CudaSolveOut>;
  /** [dM | null, da, db], all in M's dtype. */
  sinkhornBackward(options: OnDevice<SinkhornBackwardOptions, 'M' | 'history'> & { cancel?: Int32Array }): [CudaBuffer | null, CudaBuffer, CudaBuffer];
  sinkhornBackwardAsync(
    options: OnDevice<SinkhornBackwardOptions, 'M' | 'history'> & { cancel?: Int32Array },
  ): Promise<[CudaBuffer | null, CudaBuffer, CudaBuffer]>;
  solveBatch(options: OnDevice<SolveBatchOptions, 'M'>): CudaSolveBatchOut;
  solveBatchAsync(options: OnDevice<SolveBatchOptions, 'M'>): Promise<CudaSolveBatchOut>;
  /** The loss and the gradients named by `want` (native-dual.ts WANT), on the GPU; the others null. */
  dualLoss(options: OnDevice<DualLossOptions, 'u'>): CudaDualResult;
  dualLossAsync(options: OnDevice<DualLossOptions, 'u'>): Promise<CudaDualResult>;
  /** The plan [n * m], row-major, on the GPU (metric 'sqeuclidean' only). */
  dualPlan(options: OnDevice<DualFields, 'u'>): CudaBuffer;
  dualPlanAsync(options: OnDevice<DualFields, 'u'>): Promise<CudaBuffer>;
  wasserstein1d(options: OnDevice<Wasserstein1dOptions, 'u'>): CudaWasserstein1dOut;
  wasserstein1dAsync(options: OnDevice<Wasserstein1dOptions, 'u'>): Promise<CudaWasserstein1dOut>;
  slicedWasserstein(options: OnDevice<SlicedOptions, 'xS'>): CudaSlicedOut;
  slicedWassersteinAsync(options: OnDevice<SlicedOptions, 'xS'>): Promise<CudaSlicedOut>;
  lazySinkhorn(options: OnDevice<LazySinkhornOptions, 'x'>): CudaLazyRaw;
  lazySinkhornAsync(options: OnDevice<LazySinkhornOptions, 'x'>): Promise<CudaLazyRaw>;
}

export const nativeCuda = addon as unknown as NativeCuda;

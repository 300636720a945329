// Typed view of the addon's CUDA exports (native/napi/cuda.cc, cuda_sinkhorn.cc, cuda_batch_dist.cc): the kernels take
// the CPU bindings' options objects and return their fields (dual OT aside, still positional). Every entry exists in
// every build; without CUDA compiled in, or without a usable GPU, they throw (or reject) ERR_OT_DEVICE.
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { Metric } from '../core/vocabulary.js';
import type { DistBatchBackwardOptions, DistBatchOptions, NativeSolveBatchOut, SolveBatchOptions } from '../backend/native-batch.js';
import type { DistBackwardOptions, DistFields } from '../backend/native-costs.js';
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
  [K in keyof T]: T[K] extends FloatArray ? CudaOperand : T[K] extends FloatArray | null ? CudaOperand | null : T[K];
};

/** cudaSinkhornSolve's result: sinkhornSolve's fields, the arrays on the GPU (history in the GPU adjoint's layout). */
export type CudaSolveOut = Omit<NativeSolveOut, 'plan' | 'logU' | 'logV' | 'history' | 'logIterations' | 'absorptions'> & {
  plan: CudaBuffer;
  logU: CudaBuffer;
  logV: CudaBuffer;
  history?: CudaBuffer;
};

/** cudaSolveBatch's result: solveBatch's fields, plan and potentials on the GPU (no trace: no GPU adjoint). */
export type CudaSolveBatchOut = Omit<NativeSolveBatchOut, 'sol' | 'work' | 'trace'> & {
  plan: CudaBuffer;
  pot0: CudaBuffer;
  pot1: CudaBuffer;
};

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

  // The CPU bindings' options and result fields (lib/backend/native-*.ts), results on the GPU.
  cudaDistForward(options: OnGpu<DistFields>): CudaBuffer;
  cudaDistForwardAsync(options: OnGpu<DistFields>): Promise<CudaBuffer>;
  cudaDistBackward(options: OnGpu<Omit<DistBackwardOptions, 'M' | 'cancel'>>): [CudaBuffer | null, CudaBuffer | null];
  cudaDistBackwardAsync(options: OnGpu<Omit<DistBackwardOptions, 'M' | 'cancel'>>): Promise<[CudaBuffer | null, CudaBuffer | null]>;
  cudaDistBatch(options: OnGpu<Omit<DistBatchOptions, 'cancel'>>): CudaBuffer;
  cudaDistBatchAsync(options: OnGpu<Omit<DistBatchOptions, 'cancel'>>): Promise<CudaBuffer>;
  cudaDistBatchBackward(options: OnGpu<Omit<DistBatchBackwardOptions, 'M' | 'cancel'>>): { gX?: CudaBuffer; gY?: CudaBuffer };
  cudaDistBatchBackwardAsync(options: OnGpu<Omit<DistBatchBackwardOptions, 'M' | 'cancel'>>): Promise<{ gX?: CudaBuffer; gY?: CudaBuffer }>;
  cudaSinkhornSolve(options: OnGpu<SinkhornSolveOptions>): CudaSolveOut;
  cudaSinkhornSolveAsync(options: OnGpu<SinkhornSolveOptions>): Promise<CudaSolveOut>;
  /** [dM | null, da, db], all in M's dtype. */
  cudaSinkhornBackward(options: OnGpu<SinkhornBackwardOptions> & { cancel?: Int32Array }): [CudaBuffer | null, CudaBuffer, CudaBuffer];
  cudaSinkhornBackwardAsync(
    options: OnGpu<SinkhornBackwardOptions> & { cancel?: Int32Array },
  ): Promise<[CudaBuffer | null, CudaBuffer, CudaBuffer]>;
  cudaSolveBatch(options: OnGpu<SolveBatchOptions>): CudaSolveBatchOut;
  cudaSolveBatchAsync(options: OnGpu<SolveBatchOptions>): Promise<CudaSolveBatchOut>;

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

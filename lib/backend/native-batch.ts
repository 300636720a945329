// Typed view of the batched area's native exports (native/napi/batch.cc, batch_dist.cc): one options object per call.
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { BatchSinkhornInput } from './types.js';

/** Opaque handle to the iterations a solve recorded for its adjoint (freed by the GC). */
export interface NativeBatchTrace {
  readonly __nativeBatchTrace: never;
}

export interface NativeSolveBatchOut {
  /** [plan (B*n*m) | pot0 (B*n) | pot1 (B*m)]; without the plan when lazyPlan was set. */
  sol: FloatArray;
  /** [value (B) | valueLinear (B)] */
  values: FloatArray;
  /** Per problem: 0 converged, 1 max_iter, 2 diverged (native Status codes). */
  status: Int32Array;
  /** Per problem: POT's n_iter (index of the last iteration run). */
  iters: Int32Array;
  nIter: number;
  /** Work the kernel did (for throughput reports): arithmetic operations and exp/log evaluations. */
  work: { flops: number; transcendentals: number };
  trace?: NativeBatchTrace;
}

/** solveBatch's options: M [B*n*m], weights [B*n] / [B*m] in M's dtype (null = uniform), the solver's controls. */
export type SolveBatchOptions = Pick<BatchSinkhornInput, 'B' | 'n' | 'm' | 'reg' | 'maxIter' | 'tol' | 'solver' | 'regType' | 'stopRule' | 'record'> & {
  M: FloatArray;
  a: FloatArray | null;
  b: FloatArray | null;
  cancel?: Int32Array;
  /** Leave the plan out of `sol` (record 'none' only): solveBatchPlan builds it when it is read. */
  lazyPlan?: boolean;
};
/** solveBatchPlan's options: a solve's M [B*n*m] and potentials pot0 [B*n], pot1 [B*m] (M's dtype). */
export type SolveBatchPlanOptions = Pick<BatchSinkhornInput, 'B' | 'n' | 'm' | 'reg' | 'solver'> & {
  M: FloatArray;
  pot0: FloatArray;
  pot1: FloatArray;
  cancel?: Int32Array;
};
/** The adjoint's options: the recorded trace, the problem, the seeds of (plan, pot0, pot1) and which weight gradients to compute. */
export interface SolveBatchBackwardOptions {
  trace: NativeBatchTrace;
  M: FloatArray;
  a: FloatArray | null;
  b: FloatArray | null;
  gPlan: FloatArray | null;
  gPot0: FloatArray | null;
  gPot1: FloatArray | null;
  wantA: boolean;
  wantB: boolean;
  cancel?: Int32Array;
}
/** distBatch's options: X [B*n*d], Y [B*m*d] or null (= X). */
export interface DistBatchOptions {
  X: FloatArray;
  Y: FloatArray | null;
  B: number;
  n: number;
  m: number;
  d: number;
  metric: string;
  p: number;
  cancel?: Int32Array;
}
/** The backward's options: M the forward's output, G = dL/dM. */
export interface DistBatchBackwardOptions extends DistBatchOptions {
  M: FloatArray;
  G: FloatArray;
  wantX: boolean;
  wantY: boolean;
}

export interface NativeBatch {
  solveBatch(options: SolveBatchOptions): NativeSolveBatchOut;
  solveBatchAsync(options: SolveBatchOptions): Promise<NativeSolveBatchOut>;
  solveBatchBackward(options: SolveBatchBackwardOptions): { gM: FloatArray; ga?: FloatArray; gb?: FloatArray };
  /** The plans [B*n*m] of a lazyPlan solve, from its potentials (the arithmetic solveBatch would have done). */
  solveBatchPlan(options: SolveBatchPlanOptions): FloatArray;
  distBatch(options: DistBatchOptions): FloatArray;
  distBatchAsync(options: DistBatchOptions): Promise<FloatArray>;
  distBatchBackward(options: DistBatchBackwardOptions): { gX?: FloatArray; gY?: FloatArray };
}

export const nativeBatch = addon as unknown as NativeBatch;

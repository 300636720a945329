// Typed view of the batched area's native exports (native/napi/batch.cc).
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';

/** Opaque handle to the iterations a solve recorded for its adjoint (freed by the GC). */
export interface NativeBatchTrace {
  readonly __nativeBatchTrace: never;
}

export interface NativeSolveBatchOut {
  /** [plan (B*n*m) | pot0 (B*n) | pot1 (B*m)] */
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

/** (M, a, b, B, n, m, reg, maxIter, tol, solver, regType, stopRule, record, cancel?) */
type SolveArgs = [
  M: FloatArray, a: FloatArray | null, b: FloatArray | null, B: number, n: number, m: number, reg: number,
  maxIter: number, tol: number, solver: string, regType: 'entropy' | 'kl', stopRule: string,
  record: 'none' | 'all' | 'last', cancel?: Int32Array,
];
/** (trace, M, a, b, gPlan, gPot0, gPot1, wantA, wantB) */
type SolveBackArgs = [
  trace: NativeBatchTrace, M: FloatArray, a: FloatArray | null, b: FloatArray | null, gPlan: FloatArray | null,
  gPot0: FloatArray | null, gPot1: FloatArray | null, wantA: boolean, wantB: boolean,
];
/** (X, Y | null (= X), B, n, m, d, metric, p) */
type DistArgs = [X: FloatArray, Y: FloatArray | null, B: number, n: number, m: number, d: number, metric: string, p: number];

export interface NativeBatch {
  solveBatch(...args: SolveArgs): NativeSolveBatchOut;
  solveBatchAsync(...args: SolveArgs): Promise<NativeSolveBatchOut>;
  solveBatchBackward(...args: SolveBackArgs): { gM: FloatArray; ga?: FloatArray; gb?: FloatArray };
  distBatch(...args: [...DistArgs, cancel?: Int32Array]): FloatArray;
  distBatchAsync(...args: [...DistArgs, cancel?: Int32Array]): Promise<FloatArray>;
  /** (X, Y | null, M, G, B, n, m, d, metric, p, wantX, wantY) */
  distBatchBackward(
    X: FloatArray, Y: FloatArray | null, M: FloatArray, G: FloatArray, ...rest: [...Tail<DistArgs>, wantX: boolean, wantY: boolean]
  ): { gX?: FloatArray; gY?: FloatArray };
}
type Tail<A extends unknown[]> = A extends [unknown, unknown, ...infer R] ? R : never;

export const nativeBatch = addon as unknown as NativeBatch;

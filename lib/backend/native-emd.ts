// Typed view of the addon's exact-OT exports (native/napi/emd.cc): one options object per call.
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { Status } from '../core/vocabulary.js';

/** One problem: M [n*m] (float32 or float64), a [n], b [m] float64 with equal masses. */
export interface EmdSolveOptions {
  M: FloatArray;
  a: Float64Array;
  b: Float64Array;
  n: number;
  m: number;
  maxIter: number;
  /** emdSolve only: no plan output (value and duals alone). */
  valueOnly?: boolean;
  cancel?: Int32Array;
}

export interface NativeEmdOut {
  /** n*m, M's dtype; null with valueOnly. */
  plan: FloatArray | null;
  /** POT's centred duals. */
  u: Float64Array;
  v: Float64Array;
  value: number;
  nIter: number;
  status: Status;
}

/** B problems packed one after another: M [B*n*m], a [B*n], b [B*m]. */
export interface EmdBatchOptions extends EmdSolveOptions {
  B: number;
}

export interface NativeEmdBatchOut {
  /** [B*(n+m-1)]: each plan's nonzero entries as flat indices i*m + j (-1: unused slot) and masses. */
  supportIndex: Int32Array;
  supportMass: Float64Array;
  u: Float64Array;
  v: Float64Array;
  value: Float64Array;
  nIter: Float64Array;
  /** Native Status codes per problem (0 converged, 1 max_iter). */
  status: Int32Array;
}

export interface NativeEmd {
  emdSolve(options: EmdSolveOptions): NativeEmdOut;
  emdSolveAsync(options: EmdSolveOptions): Promise<NativeEmdOut>;
  emdBatch(options: EmdBatchOptions): NativeEmdBatchOut;
  emdBatchAsync(options: EmdBatchOptions): Promise<NativeEmdBatchOut>;
}

export const nativeEmd = addon as unknown as NativeEmd;

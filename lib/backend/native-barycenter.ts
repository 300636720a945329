// Typed view of the addon's entropic barycenter export (native/napi/barycenter.cc).
import type { Status } from '../core/vocabulary.js';
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';

export interface BarycenterBregmanOptions {
  /** n*k, row-major: histogram h in column h; M's dtype. */
  A: FloatArray;
  /** n*n, row-major. */
  M: FloatArray;
  /** k weights >= 0. */
  w: Float64Array;
  n: number;
  k: number;
  /** > 0. */
  reg: number;
  maxIter: number;
  tol: number;
  cancel?: Int32Array;
}

export interface BarycenterBregmanOut {
  /** n, A's dtype. */
  bary: FloatArray;
  nIter: number;
  /** The last spread of the projected marginals checked (POT's err). */
  err: number;
  status: Status;
}

export interface NativeBarycenter {
  barycenterBregman(options: BarycenterBregmanOptions): BarycenterBregmanOut;
  barycenterBregmanAsync(options: BarycenterBregmanOptions): Promise<BarycenterBregmanOut>;
}

export const nativeBarycenter = addon as unknown as NativeBarycenter;

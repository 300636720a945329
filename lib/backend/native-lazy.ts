// Typed view of the addon's lazy Sinkhorn export (native/napi/lazy_sinkhorn.cc): one options object per call.
import { addon } from '../native.js';
import type { Status } from '../core/vocabulary.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { LazySinkhornInput } from './types.js';

/**
 * LazySinkhornInput's sizes and settings with the points' values: x [n, d], y [m, d] row-major in one
 * dtype (a, b in it too, or null: uniform); tile 0 lets the kernel size it.
 */
export interface LazySinkhornOptions extends Pick<LazySinkhornInput, 'n' | 'm' | 'd' | 'reg' | 'maxIter' | 'tol' | 'tile' | 'linearGrad'> {
  x: FloatArray;
  y: FloatArray;
  a: FloatArray | null;
  b: FloatArray | null;
  grad: boolean;
  cancel?: Int32Array;
  /** BigInt64Array of 3 entries over a SharedArrayBuffer: (seq, iteration, error bits), see core/progress.ts. */
  progress?: BigInt64Array;
}

export interface LazySinkhornRaw {
  f: Float64Array;
  g: Float64Array;
  gradX: FloatArray | null;
  gradY: FloatArray | null;
  linGradX: FloatArray | null;
  linGradY: FloatArray | null;
  lamF: Float64Array | null;
  lamG: Float64Array | null;
  linearGradIter: number;
  linearGradConverged: boolean;
  value: number;
  valueLinear: number;
  err: number;
  nIter: number;
  status: Status;
}

export interface NativeLazy {
  lazySinkhorn(options: LazySinkhornOptions): LazySinkhornRaw;
  lazySinkhornAsync(options: LazySinkhornOptions): Promise<LazySinkhornRaw>;
}

export const nativeLazy = addon as unknown as NativeLazy;

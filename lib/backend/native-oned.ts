// Typed view of the addon's 1-D exact exports (native/napi/wasserstein1d.cc): one options object per call.
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';

/** u [n, k] and v [m, k] row-major in one dtype; weights [n, k], [n] (shared by every column) or absent. */
export interface Wasserstein1dOptions {
  u: FloatArray;
  v: FloatArray;
  uWeights?: FloatArray | null;
  vWeights?: FloatArray | null;
  n: number;
  m: number;
  k: number;
  p: number;
  needU: boolean;
  needV: boolean;
  cancel?: Int32Array;
}
export interface Wasserstein1dRaw {
  /** [k] W_p^p per column. */
  value: Float64Array;
  /** d value[c] / d u[i, c] ([n * k], u's dtype) when needU. */
  gradU: FloatArray | null;
  gradV: FloatArray | null;
}

/** xA [n], xB [m]; a, b of equal total mass (b is rescaled to a's, as POT). */
export interface Emd1dOptions {
  xA: FloatArray;
  xB: FloatArray;
  a?: FloatArray | null;
  b?: FloatArray | null;
  n: number;
  m: number;
  p: number;
  dense: boolean;
}
export interface Emd1dRaw {
  value: number;
  /** [n * m] in xA's dtype when dense. */
  plan: FloatArray | null;
  rows: Uint32Array | null;
  cols: Uint32Array | null;
  mass: Float64Array | null;
}

export interface NativeOned {
  wasserstein1d(options: Wasserstein1dOptions): Wasserstein1dRaw;
  wasserstein1dAsync(options: Wasserstein1dOptions): Promise<Wasserstein1dRaw>;
  emd1d(options: Emd1dOptions): Emd1dRaw;
  emd1dAsync(options: Emd1dOptions): Promise<Emd1dRaw>;
}

export const nativeOned = addon as unknown as NativeOned;

// Typed view of the addon's sliced Wasserstein export (native/napi/sliced.cc): one options object per call.
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';

/** xS [n, d], xT [m, d], projections [d, k] row-major in one dtype; weights [n] / [m] or absent (uniform). */
export interface SlicedOptions {
  xS: FloatArray;
  xT: FloatArray;
  a?: FloatArray | null;
  b?: FloatArray | null;
  projections: FloatArray;
  n: number;
  m: number;
  d: number;
  k: number;
  p: number;
  /** Which value gradS / gradT differentiate. */
  grad: 'none' | 'mean' | 'max';
  needS: boolean;
  needT: boolean;
  cancel?: Int32Array;
}
export interface SlicedRaw {
  /** (mean over projections of W_p^p)^(1/p). */
  value: number;
  /** (max over projections of W_p^p)^(1/p). */
  maxValue: number;
  argMax: number;
  /** [k] each projection's W_p^p. */
  projected: Float64Array;
  gradS: FloatArray | null;
  gradT: FloatArray | null;
}

export interface NativeSliced {
  slicedWasserstein(options: SlicedOptions): SlicedRaw;
  slicedWassersteinAsync(options: SlicedOptions): Promise<SlicedRaw>;
}

export const nativeSliced = addon as unknown as NativeSliced;

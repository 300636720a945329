// Typed view of the addon's cost-matrix exports (native/napi/dist.cc): one options object per call.
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { Metric } from '../core/vocabulary.js';

/** Native metric names, shared with native/cpu/dist.h. */
export type NativeMetric = Metric;

/** The problem both entry points read; `same` says y is x, so the diagonal is pinned to 0. */
export interface DistFields {
  x: FloatArray;
  y: FloatArray;
  n: number;
  m: number;
  d: number;
  metric: NativeMetric;
  p: number;
  same: boolean;
}
export interface DistForwardOptions extends DistFields {
  cancel?: Int32Array;
}
/** M the forward's output, G = dL/dM; needX / needY say which gradients to compute. */
export interface DistBackwardOptions extends DistFields {
  M: FloatArray;
  G: FloatArray;
  needX: boolean;
  needY: boolean;
  cancel?: Int32Array;
}

export interface NativeCosts {
  /** M [n * m] in x's dtype. */
  distForward(options: DistForwardOptions): FloatArray;
  distForwardAsync(options: DistForwardOptions): Promise<FloatArray>;
  /** [dL/dx | null, dL/dy | null]. */
  distBackward(options: DistBackwardOptions): [FloatArray | null, FloatArray | null];
  distBackwardAsync(options: DistBackwardOptions): Promise<[FloatArray | null, FloatArray | null]>;
}

export const nativeCosts = addon as unknown as NativeCosts;

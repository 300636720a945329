// Typed view of the addon's cost-matrix exports (native/napi/dist.cc).
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { Metric } from '../core/vocabulary.js';

/** Native metric names, shared with native/cpu/dist.h. */
export type NativeMetric = Metric;

/** (x, y, n, m, d, metric, p, same): `same` says y is x, so the diagonal is pinned to 0. */
type DistHead = [x: FloatArray, y: FloatArray, n: number, m: number, d: number, metric: NativeMetric, p: number, same: boolean];

export interface NativeCosts {
  /** M [n * m] in x's dtype. */
  distForward(...args: [...DistHead, cancel?: Int32Array]): FloatArray;
  distForwardAsync(...args: [...DistHead, cancel?: Int32Array]): Promise<FloatArray>;
  /** [dL/dx | null, dL/dy | null] given M and G = dL/dM. */
  distBackward(...args: [...DistHead, M: FloatArray, G: FloatArray, needX: boolean, needY: boolean, cancel?: Int32Array]): [FloatArray | null, FloatArray | null];
  distBackwardAsync(
    ...args: [...DistHead, M: FloatArray, G: FloatArray, needX: boolean, needY: boolean, cancel?: Int32Array]
  ): Promise<[FloatArray | null, FloatArray | null]>;
}

export const nativeCosts = addon as unknown as NativeCosts;

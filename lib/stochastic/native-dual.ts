// Typed view of the addon's dual-OT exports (native/napi/dual.cc).
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';

export type DualKind = 'entropic' | 'quadratic';
/** Metrics the fused kernel evaluates inline (the metrics of ot.dist). */
export type DualMetric = 'sqeuclidean' | 'euclidean' | 'cityblock' | 'minkowski' | 'chebyshev' | 'cosine';

/** Bits of the `want` mask: which gradients the loss kernel must accumulate. */
export const WANT = { u: 1, v: 2, xs: 4, xt: 8, ws: 16, wt: 32 } as const;

/** (u, v, xs, xt, ws|null, wt|null, d, kind, metric, p, reg) */
export type DualHead = [
  u: FloatArray, v: FloatArray, xs: FloatArray, xt: FloatArray, ws: FloatArray | null, wt: FloatArray | null,
  d: number, kind: DualKind, metric: DualMetric, p: number, reg: number,
];

/** The loss and the gradients asked for in `want` (absent otherwise), each in the inputs' dtype. */
export interface DualLossOut {
  loss: number;
  du?: FloatArray;
  dv?: FloatArray;
  dxs?: FloatArray;
  dxt?: FloatArray;
  dws?: FloatArray;
  dwt?: FloatArray;
}

export interface NativeDual {
  dualLoss(...args: [...DualHead, want: number, cancel?: Int32Array]): DualLossOut;
  dualLossAsync(...args: [...DualHead, want: number, cancel?: Int32Array]): Promise<DualLossOut>;
  /** The plan [n * m], row-major. */
  dualPlan(...args: [...DualHead, cancel?: Int32Array]): FloatArray;
  dualPlanAsync(...args: [...DualHead, cancel?: Int32Array]): Promise<FloatArray>;
}

export const nativeDual = addon as unknown as NativeDual;

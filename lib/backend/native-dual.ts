// Typed view of the addon's dual-OT exports (native/napi/dual.cc). Positional, unlike the other ops: one options
// object per call measured 5-8% slower on the 200-step dual example (n = 100), where call overhead is a visible share.
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { Metric } from '../core/vocabulary.js';

export type DualKind = 'entropic' | 'quadratic';
/** Metrics the fused kernel evaluates inline (the metrics of ot.dist). */
export type DualMetric = Metric;

/** Bits of the `want` mask: which gradients the loss kernel must accumulate. */
export const WANT = { u: 1, v: 2, xs: 4, xt: 8, ws: 16, wt: 32 } as const;

/** (u, v, xs, xt, ws|null, wt|null, d, kind, metric, p, reg) */
export type DualHead = [
  u: FloatArray, v: FloatArray, xs: FloatArray, xt: FloatArray, ws: FloatArray | null, wt: FloatArray | null,
  d: number, kind: DualKind, metric: DualMetric, p: number, reg: number,
];

/** Offsets of each wanted gradient in the buffer `out` of dualLoss (undefined when not wanted). */
export interface GradLayout {
  u?: number;
  v?: number;
  xs?: number;
  xt?: number;
  ws?: number;
  wt?: number;
  total: number;
}

/**
 * Layout of the gradient buffer `out` of dualLoss: du [n], dv [m], dxs [n·d], dxt [m·d], dws [n],
 * dwt [m] in this order, each present only when its WANT bit is set (native/napi/dual.cc gradViews).
 */
export function gradLayout(want: number, n: number, m: number, d: number): GradLayout {
  // Straight-line (no helper closure): this runs on every loss call.
  const out: GradLayout = { total: 0 };
  const sizes = [n, m, n * d, m * d, n, m] as const;
  const keys = ['u', 'v', 'xs', 'xt', 'ws', 'wt'] as const;
  for (let k = 0; k < 6; k++) {
    if (!(want & (1 << k))) continue;
    out[keys[k]!] = out.total;
    out.total += sizes[k]!;
  }
  return out;
}

export interface NativeDual {
  /** The loss; the wanted gradients are written into `out` (see gradLayout). */
  dualLoss(...args: [...DualHead, want: number, out: FloatArray | null, cancel?: Int32Array]): number;
  dualLossAsync(...args: [...DualHead, want: number, out: FloatArray | null, cancel?: Int32Array]): Promise<number>;
  /** The plan [n * m], row-major. */
  dualPlan(...args: [...DualHead, cancel?: Int32Array]): FloatArray;
  dualPlanAsync(...args: [...DualHead, cancel?: Int32Array]): Promise<FloatArray>;
}

export const nativeDual = addon as unknown as NativeDual;

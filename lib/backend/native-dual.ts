// Typed view of the addon's dual-OT exports (native/napi/dual.cc) and of the optimiser step
// (native/napi/optim.cc): each takes one options object.
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { Metric } from '../core/vocabulary.js';

export type DualKind = 'entropic' | 'quadratic';
/** Metrics the fused kernel evaluates inline (the metrics of ot.dist). */
export type DualMetric = Metric;

/** Bits of the `want` mask: which gradients the loss kernel must accumulate. */
export const WANT = { u: 1, v: 2, xs: 4, xt: 8, ws: 16, wt: 32 } as const;

/** The fields every dual entry point reads. */
export interface DualFields {
  u: FloatArray;
  v: FloatArray;
  xs: FloatArray;
  xt: FloatArray;
  ws: FloatArray | null;
  wt: FloatArray | null;
  d: number;
  kind: DualKind;
  metric: DualMetric;
  p: number;
  reg: number;
  cancel?: Int32Array;
}

export interface DualLossFields extends DualFields {
  want: number;
  out: FloatArray | null;
}

/** The optimiser of a native dual ascent (torch.optim's hyper-parameters). */
export type AscentOptimizer =
  | { optimizer: 'adam'; lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; amsgrad: boolean }
  | { optimizer: 'sgd'; lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean };

/** u and v are the initial potentials. */
export type DualAscentFields = DualFields & AscentOptimizer & { steps: number };

export interface DualAscentResult {
  u: FloatArray;
  v: FloatArray;
  /** The objective at each step's potentials, before its update. */
  history: Float64Array;
  /** The objective at the final potentials. */
  value: number;
}

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
  // Straight-line (no arrays or closures): this runs on every loss call.
  let total = 0;
  const at = (bit: number, len: number): number | undefined => {
    if (!(want & bit)) return undefined;
    total += len;
    return total - len;
  };
  const u = at(WANT.u, n);
  const v = at(WANT.v, m);
  const xs = at(WANT.xs, n * d);
  const xt = at(WANT.xt, m * d);
  const ws = at(WANT.ws, n);
  const wt = at(WANT.wt, m);
  return { u, v, xs, xt, ws, wt, total };
}

/**
 * One optimiser update of every listed parameter: `tensors` holds 5 entries per parameter (values,
 * gradient, then the rule's state arrays or null), `steps` each one's update count including this one.
 * hyper: Adam [lr, beta1, beta2, eps, weightDecay, amsgrad, maximize]; SGD [lr, momentum, dampening,
 * weightDecay, nesterov, maximize, 0].
 */
export interface OptimStepFields {
  rule: 'adam' | 'sgd';
  hyper: Float64Array;
  tensors: (FloatArray | null)[];
  steps: Float64Array;
}

/** A problem parsed once by dualPrepare (an opaque handle; its arrays are re-read at every call). */
export type DualPrepared = object & { readonly __dualPrepared: unique symbol };

export interface NativeDual {
  /** Parses a problem once, for loss calls that pass { prepared, out }. */
  dualPrepare(o: DualFields & { want: number }): DualPrepared;
  /** The loss; the wanted gradients are written into `out` (see gradLayout). */
  dualLoss(o: DualLossFields | { prepared: DualPrepared; out: FloatArray | null }): number;
  dualLossAsync(o: DualLossFields): Promise<number>;
  /** The plan [n * m], row-major. */
  dualPlan(o: DualFields): FloatArray;
  dualPlanAsync(o: DualFields): Promise<FloatArray>;
  /** `steps` optimiser updates of the potentials on the negated objective. */
  dualAscent(o: DualAscentFields): DualAscentResult;
  dualAscentAsync(o: DualAscentFields): Promise<DualAscentResult>;
  optimStep(o: OptimStepFields): void;
}

export const nativeDual = addon as unknown as NativeDual;

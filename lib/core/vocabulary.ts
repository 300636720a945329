// The library's shared words, each list defined once: dtypes, devices, metric names, gradient modes,
// statuses and regulariser spellings, with the checks that read them from user options.
import { fail, show } from './validate.js';

export type DType = 'float32' | 'float64';
export type Device = 'cpu' | 'cuda';

/** Metrics of ot.dist and of the dual losses: POT's backend-generic ones plus scipy's chebyshev. */
export type Metric = 'sqeuclidean' | 'euclidean' | 'cityblock' | 'minkowski' | 'chebyshev' | 'cosine';
export const METRICS: readonly Metric[] = ['sqeuclidean', 'euclidean', 'cityblock', 'minkowski', 'chebyshev', 'cosine'];

/** The metrics POT's dist_batch accepts; 'kl' is M_ij = KL(y_j ‖ x_i) on non-negative features. */
export type BatchMetric = 'sqeuclidean' | 'euclidean' | 'minkowski' | 'kl';
export const BATCH_METRICS: readonly BatchMetric[] = ['sqeuclidean', 'euclidean', 'minkowski', 'kl'];

/** How gradients of a solve reach its inputs (POT master's `grad`). */
export type GradMode = 'autodiff' | 'envelope' | 'last_step' | 'detach';
export const GRAD_MODES: readonly GradMode[] = ['autodiff', 'envelope', 'last_step', 'detach'];

/** How a solve ended; the index in STATUSES is the native Status code (native/common/status.h). */
export type Status = 'converged' | 'max_iter' | 'diverged';
export const STATUSES: readonly Status[] = ['converged', 'max_iter', 'diverged'];

/** Regularisers of ot.solve (POT's reg_type): 'KL' (default) reg·KL(plan ‖ a bᵀ), 'entropy' reg·Σ plan log plan, 'L2'. */
export type RegType = 'KL' | 'entropy' | 'L2';
export const REG_TYPES: readonly RegType[] = ['KL', 'entropy', 'L2'];
/** The entropic ones, which Sinkhorn solves. */
export type EntropicRegType = 'KL' | 'entropy';
export const ENTROPIC_REG_TYPES: readonly EntropicRegType[] = ['KL', 'entropy'];

/** Penalties of the marginals in unbalanced OT (POT's unbalanced_type). */
export type UnbalancedType = 'KL' | 'L2' | 'TV';
export const UNBALANCED_TYPES: readonly UnbalancedType[] = ['KL', 'L2', 'TV'];

export function checkDType(fn: string, v: unknown): DType {
  if (v !== 'float32' && v !== 'float64') fail('ERR_OT_DTYPE', `${fn}: dtype must be 'float32' or 'float64', got ${JSON.stringify(v)}`);
  return v;
}

export function checkDevice(fn: string, v: unknown): Device {
  if (v !== 'cpu' && v !== 'cuda') fail('ERR_OT_DEVICE', `${fn}: device must be 'cpu' or 'cuda', got ${JSON.stringify(v)}`);
  return v;
}

/** The Minkowski exponent: finite and >= 1 (POT and scipy reject smaller ones). */
export function checkMinkowskiP(fn: string, p: unknown): number {
  if (typeof p !== 'number' || !Number.isFinite(p) || p < 1) fail('ERR_OT_VALUE', `${fn}: p must be a finite number >= 1, got ${show(p)}`);
  return p;
}

/** One of `allowed`, compared case-insensitively as POT does for its regulariser names; returns the canonical spelling. */
export function checkSpelling<T extends string>(fn: string, name: string, v: unknown, allowed: readonly T[]): T {
  const hit = typeof v === 'string' ? allowed.find((s) => s.toLowerCase() === v.toLowerCase()) : undefined;
  if (hit === undefined) fail('ERR_OT_ARG', `${fn}: ${name} must be ${alternatives(allowed)}, got ${JSON.stringify(v)}`);
  return hit;
}

/** 'a', 'b' or 'c' — a list of names as messages spell it. */
export function alternatives(names: readonly string[]): string {
  const q = names.map((s) => `'${s}'`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

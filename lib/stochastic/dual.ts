// Dual losses and primal plans of regularised OT (POT: ot.stochastic.loss_dual_entropic,
// plan_dual_entropic, loss_dual_quadratic, plan_dual_quadratic): options are resolved and inputs
// validated here; the loss and all its gradients come from one fused pass of the inputs' backend.
import { backendFor, callDevice, type DualInput } from '../backend/index.js';
import { OTError } from '../core/errors.js';
import { checkFinite, checkNonNegative, checkOneOf, checkOptions, checkPositive, fail } from '../core/validate.js';
import { checkMinkowskiP, METRICS, type Device, type DType, type Metric } from '../core/vocabulary.js';
import { checkableValues } from '../cuda/tensors.js';
import { fromNested, Tensor } from '../tensor/tensor.js';

/** Metrics the fused kernels evaluate inline (the metrics of ot.dist). */
export type DualMetric = Metric;
export const DUAL_METRICS: readonly DualMetric[] = METRICS;
export type DualKind = DualInput['kind'];

export interface DualOptions {
  /** Regularisation strength, > 0 (default 1). */
  reg?: number;
  /** Source sample weights [n], >= 0 (default uniform 1/n). */
  ws?: Tensor | number[] | null;
  /** Target sample weights [m], >= 0 (default uniform 1/m). */
  wt?: Tensor | number[] | null;
  /** Ground cost between samples, as in ot.dist (default 'sqeuclidean'). */
  metric?: DualMetric;
  /** Minkowski exponent, finite and >= 1 (default 2); ignored by the other metrics. */
  p?: number;
}
export interface DualAsyncOptions extends DualOptions {
  /** Aborting rejects the promise with ERR_OT_ABORTED and stops the kernel early. */
  signal?: AbortSignal;
}

/** Potentials: a 1-d Tensor or numbers (float64). */
export type PotentialInput = Tensor | number[];
/** Samples as rows: a 2-d Tensor [n, d] or nested arrays (float64). */
export type SamplesInput = Tensor | number[][];

const KEYS = ['reg', 'ws', 'wt', 'metric', 'p'] as const;
const ASYNC_KEYS = [...KEYS, 'signal'] as const;

/** A validated dual call: tensors on `device` in one dtype, and the cost and regulariser. */
export interface Problem extends DualInput {
  device: Device;
}

function asTensor(fn: string, name: string, v: unknown, ndim: 1 | 2, checkNow: boolean): Tensor {
  let t: Tensor;
  if (v instanceof Tensor) t = v;
  else if (Array.isArray(v)) t = fromNested(v as number[], 'float64');
  else return fail('ERR_OT_ARG', `${fn}: ${name} must be a Tensor or a ${ndim === 1 ? 'number[]' : 'number[][]'}, got ${v === null ? 'null' : typeof v}`);
  if (t.ndim !== ndim) {
    fail('ERR_OT_SHAPE', `${fn}: ${name} must be ${ndim}-d${ndim === 2 ? ' [samples, features]' : ''}, got shape [${t.shape.join(', ')}]`);
  }
  if (checkNow) checkValues(fn, name, t, false);
  return t;
}

/** Finite (and, for weights, >= 0) values; those of cuda tensors only when a host copy is cached. */
function checkValues(fn: string, name: string, t: Tensor, weight: boolean): void {
  const values = checkableValues(t);
  if (!values) return;
  checkFinite(fn, name, values);
  if (weight) checkNonNegative(fn, name, values);
}

function weights(fn: string, name: string, w: unknown, size: number, of: string, checkNow: boolean): Tensor | null {
  if (w === undefined || w === null) return null;
  const t = asTensor(fn, name, w, 1, false);
  if (t.shape[0] !== size) fail('ERR_OT_SHAPE', `${fn}: ${name} has ${t.shape[0]} entries but ${of} has ${size} rows`);
  if (checkNow) checkValues(fn, name, t, true);
  return t;
}

/**
 * CPU calls leave the value checks to the native entry point, which scans every input anyway (a second
 * pass here was a measurable share of a small optimisation step); when it rejects a value, the facade's
 * checks run to word the error as the other entry points do (naming this function and the argument).
 */
export function nativeValueError(fn: string, pb: DualInput, e: unknown, names: ArgNames = NAMES): unknown {
  if (e instanceof OTError && e.code === 'ERR_OT_VALUE') {
    for (const [name, t] of [[names.u, pb.u], [names.v, pb.v], ['xs', pb.xs], ['xt', pb.xt]] as const) checkValues(fn, name, t, false);
    for (const [name, t] of [[names.ws, pb.ws], [names.wt, pb.wt]] as const) if (t) checkValues(fn, name, t, true);
  }
  return e;
}

/** The names messages give the potentials and the weights (solveDual* calls them u0, v0, a, b). */
export interface ArgNames {
  u: string;
  v: string;
  ws: string;
  wt: string;
}
const NAMES: ArgNames = { u: 'u', v: 'v', ws: 'ws', wt: 'wt' };

/** Options, shapes, devices and dtypes of a dual call, checked; values too where the native pass does not scan them. */
export function resolve(fn: string, kind: DualKind, ui: unknown, vi: unknown, xsi: unknown, xti: unknown, opts: DualAsyncOptions | undefined,
  allowed: readonly string[], names: ArgNames = NAMES): Problem {
  checkOptions(fn, opts, allowed);
  const reg = checkPositive(fn, 'reg', opts?.reg ?? 1);
  const metric = checkOneOf(fn, 'metric', opts?.metric ?? 'sqeuclidean', DUAL_METRICS);
  const p = checkMinkowskiP(fn, opts?.p ?? 2);
  const device = callDevice(fn, [[names.u, ui], [names.v, vi], ['xs', xsi], ['xt', xti], [names.ws, opts?.ws], [names.wt, opts?.wt]]);
  const { features } = backendFor(device);
  if (!features.dualMetrics.includes(metric)) {
    fail('ERR_OT_DEVICE', `${fn}: metric '${metric}' is not available for cuda tensors (the GPU kernel computes 'sqeuclidean' only); use CPU tensors for it`);
  }
  // Where the native pass scans every value anyway, a second pass here would be a measurable share of a small step.
  const checkNow = !features.nativeValueChecks;
  let u = asTensor(fn, names.u, ui, 1, checkNow);
  let v = asTensor(fn, names.v, vi, 1, checkNow);
  let xs = asTensor(fn, 'xs', xsi, 2, checkNow);
  let xt = xti === xsi ? xs : asTensor(fn, 'xt', xti, 2, checkNow);
  const [n, d] = xs.shape as [number, number];
  const [m, dt] = xt.shape as [number, number];
  if (u.shape[0] !== n) fail('ERR_OT_SHAPE', `${fn}: ${names.u} has ${u.shape[0]} entries but xs has ${n} rows`);
  if (v.shape[0] !== m) fail('ERR_OT_SHAPE', `${fn}: ${names.v} has ${v.shape[0]} entries but xt has ${m} rows`);
  if (dt !== d) fail('ERR_OT_SHAPE', `${fn}: xs has ${d} features (columns) but xt has ${dt}`);
  if (n === 0 || m === 0 || d === 0) fail('ERR_OT_SHAPE', `${fn}: xs [${n}, ${d}] and xt [${m}, ${dt}] must not be empty`);
  let ws = weights(fn, names.ws, opts?.ws, n, 'xs', checkNow);
  let wt = weights(fn, names.wt, opts?.wt, m, 'xt', checkNow);
  if (metric === 'cosine') {
    for (const [name, t] of [['xs', xs], ['xt', xt]] as const) {
      const i = firstZeroRow(t);
      if (i >= 0) fail('ERR_OT_VALUE', `${fn}: the cosine distance needs non-zero rows, but row ${i} of ${name} is all zeros`);
    }
  }
  // torch promotion: float32 inputs meet float64 ones as float64 (the casts stay differentiable).
  const all = [u, v, xs, xt, ws, wt];
  const dtype: DType = all.some((t) => t !== null && t.dtype === 'float64') ? 'float64' : 'float32';
  if (all.some((t) => t !== null && t.dtype !== dtype)) {
    const same = xt === xs;
    [u, v, xs] = [u.to(dtype), v.to(dtype), xs.to(dtype)];
    xt = same ? xs : xt.to(dtype);
    ws = ws && ws.to(dtype);
    wt = wt && wt.to(dtype);
  }
  return { device, kind, metric, p, reg, u, v, xs, xt, ws, wt, n, m, d, dtype };
}

function firstZeroRow(t: Tensor): number {
  const [rows, d] = t.shape as [number, number];
  for (let i = 0; i < rows; i++) {
    let k = 0;
    while (k < d && t.data[i * d + k] === 0) k++;
    if (k === d) return i;
  }
  return -1;
}

/**
 * The last CPU call's resolution per xs, reused when a call passes the same tensors and option values: an
 * optimisation loop calls the loss with the same arguments every step, and resolving them again was a
 * measurable share of a small step (and of its garbage). Only calls whose Problem holds the caller's
 * own tensors are kept (no dtype conversion, no nested arrays, which could change between calls);
 * their values are scanned by the native pass on every call.
 */
interface Resolved {
  fn: string;
  u: unknown;
  v: unknown;
  xs: unknown;
  xt: unknown;
  reg: unknown;
  ws: unknown;
  wt: unknown;
  metric: unknown;
  p: unknown;
  pb: Problem;
}
/** By xs (the argument a loop never changes): an entry, and the tensors it holds, live only as long as xs. */
const lastResolved = new WeakMap<object, Resolved>();

function sameOptions(c: Resolved, opts: DualOptions | undefined): boolean {
  if (opts === undefined) return c.reg === undefined && c.ws === undefined && c.wt === undefined && c.metric === undefined && c.p === undefined;
  if (typeof opts !== 'object' || opts === null) return false;
  for (const key in opts) if (!(KEYS as readonly string[]).includes(key)) return false;
  return opts.reg === c.reg && opts.ws === c.ws && opts.wt === c.wt && opts.metric === c.metric && opts.p === c.p;
}

function resolveCached(fn: string, kind: DualKind, u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualOptions): Problem {
  const c = xs instanceof Tensor ? lastResolved.get(xs) : undefined;
  if (c !== undefined && c.fn === fn && c.u === u && c.v === v && c.xt === xt && sameOptions(c, opts)) return c.pb;
  const pb = resolve(fn, kind, u, v, xs, xt, opts, KEYS);
  const own = pb.device === 'cpu' && pb.u === u && pb.v === v && pb.xs === xs && pb.xt === xt &&
    pb.ws === (opts?.ws ?? null) && pb.wt === (opts?.wt ?? null);
  if (own) lastResolved.set(xs, { fn, u, v, xs, xt, reg: opts?.reg, ws: opts?.ws, wt: opts?.wt, metric: opts?.metric, p: opts?.p, pb });
  else if (c !== undefined) lastResolved.delete(xs);
  return pb;
}

/** Resolves the arguments and runs a backend op; a value the native pass rejects is worded as the facade words it. */
function runSync(op: 'dualLoss' | 'dualPlan', fn: string, kind: DualKind, u: PotentialInput, v: PotentialInput, xs: SamplesInput,
  xt: SamplesInput, opts?: DualOptions): Tensor {
  const pb = resolveCached(fn, kind, u, v, xs, xt, opts);
  // No closure around the call: it would cost a measurable share of a small optimisation step.
  try {
    return backendFor(pb.device)[op](fn, pb);
  } catch (e) {
    throw nativeValueError(fn, pb, e);
  }
}

async function runAsync(op: 'dualLossAsync' | 'dualPlanAsync', fn: string, kind: DualKind, u: PotentialInput, v: PotentialInput,
  xs: SamplesInput, xt: SamplesInput, opts?: DualAsyncOptions): Promise<Tensor> {
  const pb = resolve(fn, kind, u, v, xs, xt, opts, ASYNC_KEYS);
  try {
    return await backendFor(pb.device)[op](fn, pb, opts?.signal);
  } catch (e) {
    throw nativeValueError(fn, pb, e);
  }
}

/**
 * Dual objective of entropic OT (Seguy et al. 2018, eq. 6–7), to be maximised over u, v:
 * <u, ws> + <v, wt> − reg Σ_ij ws_i wt_j exp((u_i + v_j − M_ij)/reg) with M = dist(xs, xt, metric).
 * A scalar Tensor, differentiable w.r.t. u, v, xs, xt, ws and wt. With cuda tensors (all tensor
 * arguments on one device) the loss and its gradients come from one GPU pass and are cuda tensors;
 * the GPU kernel computes the 'sqeuclidean' cost only (other metrics: ERR_OT_DEVICE).
 * @example
 * const u = ot.randn([100], { seed: 1, requiresGrad: true });
 * const v = ot.randn([100], { seed: 2, requiresGrad: true });
 * const loss = ot.stochastic.lossDualEntropic(u, v, xs, xt, { reg: 0.5 }).neg();
 * loss.backward(); // u.grad, v.grad
 */
export function lossDualEntropic(u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualOptions): Tensor {
  return runSync('dualLoss', 'lossDualEntropic', 'entropic', u, v, xs, xt, opts);
}

/**
 * Dual objective of quadratically regularised OT (Seguy et al. 2018, eq. 6–7):
 * <u, ws> + <v, wt> − 1/(4 reg) Σ_ij ws_i wt_j max(u_i + v_j − M_ij, 0)². Differentiable like
 * {@link lossDualEntropic}.
 * @example
 * const loss = ot.stochastic.lossDualQuadratic(u, v, xs, xt, { reg: 0.01 }).neg();
 */
export function lossDualQuadratic(u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualOptions): Tensor {
  return runSync('dualLoss', 'lossDualQuadratic', 'quadratic', u, v, xs, xt, opts);
}

/**
 * Primal plan [n, m] recovered from entropic dual potentials (eq. 8):
 * G_ij = ws_i wt_j exp((u_i + v_j − M_ij)/reg). Not differentiable (a detached tensor).
 * @example
 * const G = ot.stochastic.planDualEntropic(u.detach(), v.detach(), xs, xt, { reg: 0.5 });
 */
export function planDualEntropic(u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualOptions): Tensor {
  return runSync('dualPlan', 'planDualEntropic', 'entropic', u, v, xs, xt, opts);
}

/**
 * Primal plan [n, m] recovered from quadratic dual potentials (eq. 8):
 * G_ij = ws_i wt_j max(u_i + v_j − M_ij, 0)/(2 reg). Not differentiable (a detached tensor).
 * @example
 * const G = ot.stochastic.planDualQuadratic(u.detach(), v.detach(), xs, xt, { reg: 0.01 });
 */
export function planDualQuadratic(u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualOptions): Tensor {
  return runSync('dualPlan', 'planDualQuadratic', 'quadratic', u, v, xs, xt, opts);
}

/** {@link lossDualEntropic} off the event loop. @example const l = await ot.stochastic.lossDualEntropicAsync(u, v, xs, xt, { reg: 0.5 }); */
export function lossDualEntropicAsync(u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualAsyncOptions): Promise<Tensor> {
  return runAsync('dualLossAsync', 'lossDualEntropicAsync', 'entropic', u, v, xs, xt, opts);
}
/** {@link lossDualQuadratic} off the event loop. @example const l = await ot.stochastic.lossDualQuadraticAsync(u, v, xs, xt, { reg: 0.01 }); */
export function lossDualQuadraticAsync(u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualAsyncOptions): Promise<Tensor> {
  return runAsync('dualLossAsync', 'lossDualQuadraticAsync', 'quadratic', u, v, xs, xt, opts);
}
/** {@link planDualEntropic} off the event loop. @example const G = await ot.stochastic.planDualEntropicAsync(u, v, xs, xt, { reg: 0.5 }); */
export function planDualEntropicAsync(u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualAsyncOptions): Promise<Tensor> {
  return runAsync('dualPlanAsync', 'planDualEntropicAsync', 'entropic', u, v, xs, xt, opts);
}
/** {@link planDualQuadratic} off the event loop. @example const G = await ot.stochastic.planDualQuadraticAsync(u, v, xs, xt, { reg: 0.01 }); */
export function planDualQuadraticAsync(u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualAsyncOptions): Promise<Tensor> {
  return runAsync('dualPlanAsync', 'planDualQuadraticAsync', 'quadratic', u, v, xs, xt, opts);
}

// Dual losses and primal plans of regularised OT (POT: ot.stochastic.loss_dual_entropic,
// plan_dual_entropic, loss_dual_quadratic, plan_dual_quadratic). The loss and all its gradients come
// from one fused native pass over the n×m pairs (native/cpu/dual.cc); nothing n×m is stored. Cuda
// tensors: dual-cuda.ts.
import type { GradFn } from '../tensor/autograd.js';
import { allocate, type DType, type FloatArray } from '../tensor/dtype.js';
import { fromNested, Tensor } from '../tensor/tensor.js';
import { OTError } from '../core/errors.js';
import { checkFinite, checkNonNegative, checkOneOf, checkOptions, checkPositive, fail } from '../core/validate.js';
import { withCancelFlag } from '../core/cancel.js';
import { checkMinkowskiP, METRICS } from '../core/vocabulary.js';
import { checkableValues } from '../cuda/tensors.js';
import { callDevice } from '../backend/index.js';
import type { Device } from '../tensor/dtype.js';
import { slabArray } from './grad-slab.js';
import { dualLossCuda, dualLossCudaAsync, dualPlanCuda, dualPlanCudaAsync } from './dual-cuda.js';
import { gradLayout, nativeDual, WANT, type DualHead, type DualKind, type DualMetric, type GradLayout } from './native-dual.js';

export type { DualMetric } from './native-dual.js';
export const DUAL_METRICS: readonly DualMetric[] = METRICS;

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
export interface Problem {
  device: Device;
  kind: DualKind;
  metric: DualMetric;
  p: number;
  reg: number;
  u: Tensor;
  v: Tensor;
  xs: Tensor;
  xt: Tensor;
  ws: Tensor | null;
  wt: Tensor | null;
  n: number;
  m: number;
  d: number;
  dtype: DType;
}

function head(pb: Problem): DualHead {
  const { u, v, xs, xt, ws, wt } = pb;
  return [u.data, v.data, xs.data, xt.data, ws ? ws.data : null, wt ? wt.data : null, pb.d, pb.kind, pb.metric, pb.p, pb.reg];
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
function nativeValueError(fn: string, pb: Problem, e: unknown): unknown {
  if (e instanceof OTError && e.code === 'ERR_OT_VALUE') {
    for (const [name, t] of [['u', pb.u], ['v', pb.v], ['xs', pb.xs], ['xt', pb.xt]] as const) checkValues(fn, name, t, false);
    for (const [name, t] of [['ws', pb.ws], ['wt', pb.wt]] as const) if (t) checkValues(fn, name, t, true);
  }
  return e;
}

function checkedSync<R>(fn: string, pb: Problem, call: () => R): R {
  try {
    return call();
  } catch (e) {
    throw nativeValueError(fn, pb, e);
  }
}

async function checkedAsync<R>(fn: string, pb: Problem, call: () => Promise<R>): Promise<R> {
  try {
    return await call();
  } catch (e) {
    throw nativeValueError(fn, pb, e);
  }
}

function resolve(fn: string, kind: DualKind, ui: unknown, vi: unknown, xsi: unknown, xti: unknown, opts: DualAsyncOptions | undefined,
  allowed: readonly string[]): Problem {
  checkOptions(fn, opts, allowed);
  const reg = checkPositive(fn, 'reg', opts?.reg ?? 1);
  const metric = checkOneOf(fn, 'metric', opts?.metric ?? 'sqeuclidean', DUAL_METRICS);
  const p = checkMinkowskiP(fn, opts?.p ?? 2);
  const device = callDevice(fn, [['u', ui], ['v', vi], ['xs', xsi], ['xt', xti], ['ws', opts?.ws], ['wt', opts?.wt]]);
  if (device === 'cuda' && metric !== 'sqeuclidean') {
    fail('ERR_OT_DEVICE', `${fn}: metric '${metric}' is not available for cuda tensors (the GPU kernel computes 'sqeuclidean' only); use CPU tensors for it`);
  }
  const checkNow = device !== 'cpu';
  let u = asTensor(fn, 'u', ui, 1, checkNow);
  let v = asTensor(fn, 'v', vi, 1, checkNow);
  let xs = asTensor(fn, 'xs', xsi, 2, checkNow);
  let xt = xti === xsi ? xs : asTensor(fn, 'xt', xti, 2, checkNow);
  const [n, d] = xs.shape as [number, number];
  const [m, dt] = xt.shape as [number, number];
  if (u.shape[0] !== n) fail('ERR_OT_SHAPE', `${fn}: u has ${u.shape[0]} entries but xs has ${n} rows`);
  if (v.shape[0] !== m) fail('ERR_OT_SHAPE', `${fn}: v has ${v.shape[0]} entries but xt has ${m} rows`);
  if (dt !== d) fail('ERR_OT_SHAPE', `${fn}: xs has ${d} features (columns) but xt has ${dt}`);
  if (n === 0 || m === 0 || d === 0) fail('ERR_OT_SHAPE', `${fn}: xs [${n}, ${d}] and xt [${m}, ${dt}] must not be empty`);
  let ws = weights(fn, 'ws', opts?.ws, n, 'xs', checkNow);
  let wt = weights(fn, 'wt', opts?.wt, m, 'xt', checkNow);
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

/** Which gradients the kernel must produce: those of the inputs that require grad. */
function wantMask(pb: Problem): number {
  let w = 0;
  if (pb.u.requiresGrad) w |= WANT.u;
  if (pb.v.requiresGrad) w |= WANT.v;
  if (pb.xs.requiresGrad) w |= WANT.xs;
  if (pb.xt.requiresGrad) w |= WANT.xt;
  if (pb.ws?.requiresGrad) w |= WANT.ws;
  if (pb.wt?.requiresGrad) w |= WANT.wt;
  return w;
}

/** The kernel's gradient buffer for the inputs that require grad (null when none does). */
interface GradBuffer {
  want: number;
  layout: GradLayout | null;
  out: FloatArray | null;
}

function gradBuffer(pb: Problem): GradBuffer {
  const want = wantMask(pb);
  if (want === 0) return { want, layout: null, out: null };
  const layout = gradLayout(want, pb.n, pb.m, pb.d);
  return { want, layout, out: slabArray(pb.dtype, layout.total) };
}

/**
 * s·(the slice of `out` at `offset`) as a tensor of `shape`, always in a fresh array: `out` may be a
 * slab view (grad-slab.ts), and a leaf may adopt what backward returns as its .grad.
 */
function scaled(out: FloatArray, offset: number | undefined, s: number, shape: readonly number[]): Tensor | null {
  if (offset === undefined) return null;
  let len = 1;
  for (const k of shape) len *= k;
  const g = allocate(out instanceof Float32Array ? 'float32' : 'float64', len);
  if (s === 1) g.set(out.subarray(offset, offset + len));
  else for (let i = 0; i < len; i++) g[i] = s * out[offset + i]!;
  return new Tensor(g, shape);
}

/** The loss's backward: scales the gradients the kernel computed (a class: no closure per call). */
class DualLossGrad implements GradFn {
  readonly inputs: readonly (Tensor | null)[];
  constructor(readonly name: string, private readonly pb: Problem, private readonly out: FloatArray, private readonly at: GradLayout) {
    this.inputs = [pb.u, pb.v, pb.xs, pb.xt, pb.ws, pb.wt];
  }

  backward(g: Tensor): (Tensor | null)[] {
    const s = g.data[0]!;
    const { pb: { u, v, xs, xt, ws, wt }, out, at } = this;
    return [
      scaled(out, at.u, s, u.shape), scaled(out, at.v, s, v.shape), scaled(out, at.xs, s, xs.shape),
      scaled(out, at.xt, s, xt.shape), ws && scaled(out, at.ws, s, ws.shape), wt && scaled(out, at.wt, s, wt.shape),
    ];
  }
}

/** Wraps the kernel's loss as a scalar whose backward only scales the precomputed gradients. */
function lossOutput(name: string, pb: Problem, loss: number, buf: GradBuffer): Tensor {
  const data = allocate(pb.dtype, 1);
  data[0] = loss;
  const { out, layout: at } = buf;
  if (out === null || at === null) return new Tensor(data, []);
  return Tensor.fromOp(data, [], new DualLossGrad(name, pb, out, at));
}

function lossSync(fn: string, kind: DualKind, u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualOptions): Tensor {
  const pb = resolve(fn, kind, u, v, xs, xt, opts, KEYS);
  if (pb.device === 'cuda') return dualLossCuda(fn, pb);
  const buf = gradBuffer(pb);
  const { u: uu, v: vv, xs: xss, xt: xtt, ws, wt } = pb;
  // Arguments listed, not spread from head(), and no closure: both cost a measurable share of a small step.
  let loss: number;
  try {
    loss = nativeDual.dualLoss(uu.data, vv.data, xss.data, xtt.data, ws ? ws.data : null, wt ? wt.data : null,
      pb.d, pb.kind, pb.metric, pb.p, pb.reg, buf.want, buf.out);
  } catch (e) {
    throw nativeValueError(fn, pb, e);
  }
  return lossOutput(fn, pb, loss, buf);
}

async function lossAsync(fn: string, kind: DualKind, u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput,
  opts?: DualAsyncOptions): Promise<Tensor> {
  const pb = resolve(fn, kind, u, v, xs, xt, opts, ASYNC_KEYS);
  if (pb.device === 'cuda') return dualLossCudaAsync(fn, pb, opts?.signal);
  const buf = gradBuffer(pb);
  const loss = await checkedAsync(fn, pb, () => withCancelFlag(fn, opts?.signal, (flag) => nativeDual.dualLossAsync(...head(pb), buf.want, buf.out, flag)));
  return lossOutput(fn, pb, loss, buf);
}

function planSync(fn: string, kind: DualKind, u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualOptions): Tensor {
  const pb = resolve(fn, kind, u, v, xs, xt, opts, KEYS);
  if (pb.device === 'cuda') return dualPlanCuda(pb);
  return new Tensor(checkedSync(fn, pb, () => nativeDual.dualPlan(...head(pb))), [pb.n, pb.m]);
}

async function planAsync(fn: string, kind: DualKind, u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput,
  opts?: DualAsyncOptions): Promise<Tensor> {
  const pb = resolve(fn, kind, u, v, xs, xt, opts, ASYNC_KEYS);
  if (pb.device === 'cuda') return dualPlanCudaAsync(fn, pb, opts?.signal);
  const G = await checkedAsync(fn, pb, () => withCancelFlag(fn, opts?.signal, (flag) => nativeDual.dualPlanAsync(...head(pb), flag)));
  return new Tensor(G, [pb.n, pb.m]);
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
  return lossSync('lossDualEntropic', 'entropic', u, v, xs, xt, opts);
}

/**
 * Dual objective of quadratically regularised OT (Seguy et al. 2018, eq. 6–7):
 * <u, ws> + <v, wt> − 1/(4 reg) Σ_ij ws_i wt_j max(u_i + v_j − M_ij, 0)². Differentiable like
 * {@link lossDualEntropic}.
 * @example
 * const loss = ot.stochastic.lossDualQuadratic(u, v, xs, xt, { reg: 0.01 }).neg();
 */
export function lossDualQuadratic(u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualOptions): Tensor {
  return lossSync('lossDualQuadratic', 'quadratic', u, v, xs, xt, opts);
}

/**
 * Primal plan [n, m] recovered from entropic dual potentials (eq. 8):
 * G_ij = ws_i wt_j exp((u_i + v_j − M_ij)/reg). Not differentiable (a detached tensor).
 * @example
 * const G = ot.stochastic.planDualEntropic(u.detach(), v.detach(), xs, xt, { reg: 0.5 });
 */
export function planDualEntropic(u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualOptions): Tensor {
  return planSync('planDualEntropic', 'entropic', u, v, xs, xt, opts);
}

/**
 * Primal plan [n, m] recovered from quadratic dual potentials (eq. 8):
 * G_ij = ws_i wt_j max(u_i + v_j − M_ij, 0)/(2 reg). Not differentiable (a detached tensor).
 * @example
 * const G = ot.stochastic.planDualQuadratic(u.detach(), v.detach(), xs, xt, { reg: 0.01 });
 */
export function planDualQuadratic(u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualOptions): Tensor {
  return planSync('planDualQuadratic', 'quadratic', u, v, xs, xt, opts);
}

/** {@link lossDualEntropic} off the event loop. @example const l = await ot.stochastic.lossDualEntropicAsync(u, v, xs, xt, { reg: 0.5 }); */
export function lossDualEntropicAsync(u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualAsyncOptions): Promise<Tensor> {
  return lossAsync('lossDualEntropicAsync', 'entropic', u, v, xs, xt, opts);
}
/** {@link lossDualQuadratic} off the event loop. @example const l = await ot.stochastic.lossDualQuadraticAsync(u, v, xs, xt, { reg: 0.01 }); */
export function lossDualQuadraticAsync(u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualAsyncOptions): Promise<Tensor> {
  return lossAsync('lossDualQuadraticAsync', 'quadratic', u, v, xs, xt, opts);
}
/** {@link planDualEntropic} off the event loop. @example const G = await ot.stochastic.planDualEntropicAsync(u, v, xs, xt, { reg: 0.5 }); */
export function planDualEntropicAsync(u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualAsyncOptions): Promise<Tensor> {
  return planAsync('planDualEntropicAsync', 'entropic', u, v, xs, xt, opts);
}
/** {@link planDualQuadratic} off the event loop. @example const G = await ot.stochastic.planDualQuadraticAsync(u, v, xs, xt, { reg: 0.01 }); */
export function planDualQuadraticAsync(u: PotentialInput, v: PotentialInput, xs: SamplesInput, xt: SamplesInput, opts?: DualAsyncOptions): Promise<Tensor> {
  return planAsync('planDualQuadraticAsync', 'quadratic', u, v, xs, xt, opts);
}

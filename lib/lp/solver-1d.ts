// Exact OT between 1-D measures (POT: ot.wasserstein_1d, ot.emd_1d, ot.emd2_1d): sort both samples
// and walk their cumulative weights (native/cpu/wasserstein1d.cc). Options are resolved and shapes
// checked here; values are checked by the native entry point.
import { backendFor, callDevice, type Emd1dInput, type PlanPieces, type Wasserstein1dInput } from '../backend/index.js';
import { checkFinite, checkNonNegative, checkOneOf, checkOptions, fail } from '../core/validate.js';
import { checkMinkowskiP, type Device } from '../core/vocabulary.js';
import { checkableValues } from '../cuda/tensors.js';
import { Tensor } from '../tensor/tensor.js';
import { commonDType, inDType, sampleTensor, weightTensor, wordValueError, type SampleInput } from './sample-args.js';

export interface Wasserstein1dOptions {
  /** Weights of u's atoms: [n] (shared by every column) or [n, k]; default uniform 1/n. Not differentiated. */
  uWeights?: SampleInput | null;
  /** Weights of v's atoms: [m] or [m, k]; default uniform 1/m. */
  vWeights?: SampleInput | null;
  /** Exponent of the ground cost |x - y|^p, finite and >= 1 (default 1, as POT). */
  p?: number;
}
export interface Wasserstein1dAsyncOptions extends Wasserstein1dOptions {
  /** Aborting rejects the promise with ERR_OT_ABORTED and stops the kernel between columns. */
  signal?: AbortSignal;
}

/** Ground metrics of emd1d (POT: emd_1d's list): |x - y|^2, |x - y|^p, |x - y|, |x - y|. */
export type Emd1dMetric = 'sqeuclidean' | 'minkowski' | 'cityblock' | 'euclidean';
const EMD1D_METRICS: readonly Emd1dMetric[] = ['sqeuclidean', 'minkowski', 'cityblock', 'euclidean'];

export interface Emd21dOptions {
  /** Weights of xA's atoms, default uniform; a and b must have the same total mass (b is rescaled to a's, as POT). */
  a?: SampleInput | null;
  b?: SampleInput | null;
  /** Default 'sqeuclidean' (POT's default). */
  metric?: Emd1dMetric;
  /** Exponent for metric 'minkowski', finite and >= 1 (default 1, as POT); ignored by the other metrics. */
  p?: number;
}
export interface Emd21dAsyncOptions extends Emd21dOptions {
  signal?: AbortSignal;
}
export interface Emd1dOptions extends Emd21dOptions {
  /** true (default, POT's default): the dense [n, m] plan; false: its non-zero pieces ({@link SparsePlan}). */
  dense?: boolean;
}
export interface Emd1dAsyncOptions extends Emd1dOptions {
  /** The sort cannot be stopped midway: an abort is honoured before it starts and after it ends. */
  signal?: AbortSignal;
}

/** A 1-D plan as its non-zero entries (POT: emd_1d(dense=False), a coo_matrix): at most n + m - 1 of them. */
export interface SparsePlan {
  /** Row (index into xA) of each entry. */
  readonly rows: Uint32Array;
  /** Column (index into xB) of each entry. */
  readonly cols: Uint32Array;
  /** Mass of each entry (float64). */
  readonly values: Float64Array;
  /** [n, m]. */
  readonly shape: readonly [number, number];
}

const W1D_KEYS = ['uWeights', 'vWeights', 'p'];
const EMD2_KEYS = ['a', 'b', 'metric', 'p'];

interface Resolved<P> {
  device: Device;
  pb: P;
  /** Names and tensors for wordValueError. */
  samples: [string, Tensor][];
  weights: [string, Tensor | null][];
}

function resolveWasserstein1d(fn: string, uIn: unknown, vIn: unknown, opts: Wasserstein1dAsyncOptions | undefined, keys: string[]): Resolved<Wasserstein1dInput> {
  checkOptions(fn, opts, keys);
  const p = checkMinkowskiP(fn, opts?.p ?? 1);
  const device = callDevice(fn, [['u', uIn], ['v', vIn], ['uWeights', opts?.uWeights], ['vWeights', opts?.vWeights]]);
  let u = sampleTensor(fn, 'u', uIn, [1, 2]);
  let v = sampleTensor(fn, 'v', vIn, [1, 2]);
  if (u.ndim !== v.ndim) fail('ERR_OT_SHAPE', `${fn}: u and v must both be 1-d or both [samples, k], got shapes [${u.shape.join(', ')}] and [${v.shape.join(', ')}]`);
  const n = u.shape[0]!, m = v.shape[0]!;
  const k = u.ndim === 2 ? u.shape[1]! : 1;
  if (u.ndim === 2 && v.shape[1] !== k) fail('ERR_OT_SHAPE', `${fn}: u has ${k} columns but v has ${v.shape[1]}`);
  const uShapes = u.ndim === 2 ? [[n], [n, k]] : [[n]];
  const vShapes = v.ndim === 2 ? [[m], [m, k]] : [[m]];
  let uw = weightTensor(fn, 'uWeights', opts?.uWeights, uShapes, `u's ${n} rows`);
  let vw = weightTensor(fn, 'vWeights', opts?.vWeights, vShapes, `v's ${m} rows`);
  const dtype = commonDType(u, v);
  [u, v, uw, vw] = [inDType(u, dtype), inDType(v, dtype), inDType(uw, dtype), inDType(vw, dtype)];
  return {
    device,
    pb: { u, v, uWeights: uw, vWeights: vw, n, m, k, p, shape: u.ndim === 2 ? [k] : [] },
    samples: [['u', u], ['v', v]],
    weights: [['uWeights', uw], ['vWeights', vw]],
  };
}

/**
 * Wasserstein distance between 1-D empirical measures (POT: ot.wasserstein_1d): for each column c,
 * the optimal cost sum over the monotone plan of mass · |u_i - v_j|^p, i.e. W_p^p (no p-th root, as
 * POT). u [n] and v [m] give a scalar; u [n, k] and v [m, k] give [k], one independent problem per
 * column (solved on threads). Weights default to uniform and need not sum to 1 (as POT, unequal
 * totals are not rescaled). Differentiable w.r.t. u and v (the derivatives come from the same native
 * pass); weights are treated as constants. On cuda tensors the samples are copied to the host, solved
 * there and the value returned on the GPU.
 * @example
 * const u = ot.randn([1000, 3], { seed: 0, requiresGrad: true });
 * const v = ot.randn([800, 3], { seed: 1 });
 * const w = ot.wasserstein1d(u, v, { p: 2 });   // [3]
 * w.sum().backward();                            // u.grad [1000, 3]
 */
export function wasserstein1d(u: SampleInput, v: SampleInput, opts?: Wasserstein1dOptions): Tensor {
  const fn = 'wasserstein1d';
  const r = resolveWasserstein1d(fn, u, v, opts, W1D_KEYS);
  try {
    return backendFor(r.device).wasserstein1d(r.pb);
  } catch (e) {
    return wordValueError(fn, e, r.samples, r.weights);
  }
}

/**
 * {@link wasserstein1d} computed off the event loop; the result (and its gradient) is the same.
 * @example
 * const w = await ot.wasserstein1dAsync(u, v, { p: 2, signal: AbortSignal.timeout(1000) });
 */
export async function wasserstein1dAsync(u: SampleInput, v: SampleInput, opts?: Wasserstein1dAsyncOptions): Promise<Tensor> {
  const fn = 'wasserstein1dAsync';
  const r = resolveWasserstein1d(fn, u, v, opts, [...W1D_KEYS, 'signal']);
  try {
    return await backendFor(r.device).wasserstein1dAsync(fn, r.pb, opts?.signal);
  } catch (e) {
    return wordValueError(fn, e, r.samples, r.weights);
  }
}

/** POT's metric for emd_1d as the exponent of |x - y|. */
function metricExponent(fn: string, opts: Emd21dOptions | undefined): number {
  const metric = checkOneOf(fn, 'metric', opts?.metric ?? 'sqeuclidean', EMD1D_METRICS);
  const p = checkMinkowskiP(fn, opts?.p ?? 1);
  return metric === 'sqeuclidean' ? 2 : metric === 'minkowski' ? p : 1;
}

/** xA or xB as 1-d: [n] or [n, 1] (POT: monodimensional data only). */
function line(fn: string, name: string, v: unknown): Tensor {
  const t = sampleTensor(fn, name, v, [1, 2]);
  if (t.ndim === 1) return t;
  if (t.shape[1] !== 1) fail('ERR_OT_SHAPE', `${fn}: ${name} must be 1-d data, [n] or [n, 1], got shape [${t.shape.join(', ')}]`);
  return t.reshape([t.shape[0]!]);
}

function total(t: Tensor | null): number {
  if (t === null) return 1;
  const v = checkableValues(t) ?? t.data;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s;
}

function resolveEmd1d(fn: string, xAIn: unknown, xBIn: unknown, opts: Emd1dAsyncOptions | undefined, keys: string[]): Resolved<Emd1dInput> {
  checkOptions(fn, opts, keys);
  const p = metricExponent(fn, opts);
  const dense = opts?.dense ?? true;
  if (typeof dense !== 'boolean') fail('ERR_OT_ARG', `${fn}: dense must be true or false, got ${String(dense)}`);
  const device = callDevice(fn, [['xA', xAIn], ['xB', xBIn], ['a', opts?.a], ['b', opts?.b]]);
  let xA = line(fn, 'xA', xAIn);
  let xB = line(fn, 'xB', xBIn);
  const n = xA.shape[0]!, m = xB.shape[0]!;
  let a = weightTensor(fn, 'a', opts?.a, [[n]], `xA's ${n} atoms`);
  let b = weightTensor(fn, 'b', opts?.b, [[m]], `xB's ${m} atoms`);
  const dtype = commonDType(xA, xB);
  [xA, xB, a, b] = [inDType(xA, dtype), inDType(xB, dtype), inDType(a, dtype), inDType(b, dtype)];
  return { device, pb: { xA, xB, a, b, n, m, p, dense }, samples: [['xA', xA], ['xB', xB]], weights: [['a', a], ['b', b]] };
}

function planOf(pb: Emd1dInput, plan: Tensor | null, pieces: PlanPieces | null): Tensor | SparsePlan {
  if (plan) return plan;
  return { rows: pieces!.rows, cols: pieces!.cols, values: pieces!.mass, shape: [pb.n, pb.m] };
}

/**
 * Optimal plan between 1-D measures (POT: ot.emd_1d): the monotone (north-west corner) plan of the
 * sorted samples, for the ground cost of `metric`. xA [n] (or [n, 1]), xB [m]; a and b default to
 * uniform and must have the same total mass (to 6 decimals, relative above 1; b is then rescaled to
 * a's total as POT does). Returns the dense [n, m] plan in xA's dtype, or with `dense: false` its at
 * most n + m - 1 non-zero entries (a {@link SparsePlan}, POT's coo_matrix). Not differentiable (as POT).
 * @example
 * const plan = ot.emd1d([0, 1, 2], [0.5, 2.5], { metric: 'cityblock' });   // [3, 2]
 * const big = ot.emd1d(xs, xt, { dense: false });   // { rows, cols, values, shape }
 */
export function emd1d(xA: SampleInput, xB: SampleInput, opts: Emd1dOptions & { dense: false }): SparsePlan;
export function emd1d(xA: SampleInput, xB: SampleInput, opts?: Emd1dOptions): Tensor;
export function emd1d(xA: SampleInput, xB: SampleInput, opts?: Emd1dOptions): Tensor | SparsePlan {
  const fn = 'emd1d';
  const r = resolveEmd1d(fn, xA, xB, opts, [...EMD2_KEYS, 'dense']);
  try {
    const out = backendFor(r.device).emd1d(r.pb);
    return planOf(r.pb, out.plan, out.pieces);
  } catch (e) {
    return wordValueError(fn, e, r.samples, r.weights);
  }
}

/** {@link emd1d} computed off the event loop. */
export function emd1dAsync(xA: SampleInput, xB: SampleInput, opts: Emd1dAsyncOptions & { dense: false }): Promise<SparsePlan>;
export function emd1dAsync(xA: SampleInput, xB: SampleInput, opts?: Emd1dAsyncOptions): Promise<Tensor>;
export async function emd1dAsync(xA: SampleInput, xB: SampleInput, opts?: Emd1dAsyncOptions): Promise<Tensor | SparsePlan> {
  const fn = 'emd1dAsync';
  const r = resolveEmd1d(fn, xA, xB, opts, [...EMD2_KEYS, 'dense', 'signal']);
  try {
    const out = await backendFor(r.device).emd1dAsync(fn, r.pb, opts?.signal);
    return planOf(r.pb, out.plan, out.pieces);
  } catch (e) {
    return wordValueError(fn, e, r.samples, r.weights);
  }
}

/** emd21d as a wasserstein1d problem: the same walk, with b rescaled to a's total after the mass check. */
function resolveEmd21d(fn: string, xA: unknown, xB: unknown, opts: Emd21dAsyncOptions | undefined, keys: string[]): Resolved<Wasserstein1dInput> {
  const r = resolveEmd1d(fn, xA, xB, opts, keys);
  const { pb } = r;
  for (const [name, w] of r.weights) {
    const v = w && checkableValues(w);
    if (v) {
      checkFinite(fn, name, v);
      checkNonNegative(fn, name, v);
    }
  }
  const sa = total(pb.a), sb = total(pb.b);
  if (!(Math.abs(sa - sb) < 1.5e-6 * Math.max(1, sa, sb))) fail('ERR_OT_VALUE', `${fn}: a and b must have the same total mass, got ${sa} and ${sb}`);
  if (!(sa > 0)) fail('ERR_OT_VALUE', `${fn}: a and b must have a positive total mass, got ${sa}`);
  // Detached: the weights are constants of the value, as in wasserstein1d.
  const b = pb.b && sa !== sb ? pb.b.detach().mul(sa / sb) : pb.b;
  return {
    ...r,
    pb: { u: pb.xA, v: pb.xB, uWeights: pb.a, vWeights: b, n: pb.n, m: pb.m, k: 1, p: pb.p, shape: [] },
  };
}

/**
 * Optimal transport cost between 1-D measures (POT: ot.emd2_1d): sum over {@link emd1d}'s plan of
 * mass · cost(xA_i, xB_j), a scalar Tensor in xA's dtype. Beyond POT (whose value is detached), it is
 * differentiable w.r.t. xA and xB; weights are constants.
 * @example
 * const xA = ot.tensor([0, 1, 2], { requiresGrad: true });
 * const c = ot.emd21d(xA, [0.5, 2.5]);   // squared distances by default
 * c.backward();                          // xA.grad
 */
export function emd21d(xA: SampleInput, xB: SampleInput, opts?: Emd21dOptions): Tensor {
  const fn = 'emd21d';
  const r = resolveEmd21d(fn, xA, xB, opts, EMD2_KEYS);
  try {
    return backendFor(r.device).wasserstein1d(r.pb);
  } catch (e) {
    return wordValueError(fn, e, r.samples, r.weights);
  }
}

/** {@link emd21d} computed off the event loop; the result (and its gradient) is the same. */
export async function emd21dAsync(xA: SampleInput, xB: SampleInput, opts?: Emd21dAsyncOptions): Promise<Tensor> {
  const fn = 'emd21dAsync';
  const r = resolveEmd21d(fn, xA, xB, opts, [...EMD2_KEYS, 'signal']);
  try {
    return await backendFor(r.device).wasserstein1dAsync(fn, r.pb, opts?.signal);
  } catch (e) {
    return wordValueError(fn, e, r.samples, r.weights);
  }
}

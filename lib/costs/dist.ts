// Cost matrices between two sets of samples (POT: ot.dist / ot.utils.dist), differentiable w.r.t.
// both inputs; options are resolved and inputs validated here, the matrix and its backward come from
// the backend of the inputs' device (lib/backend: native/cpu/dist.cc or native/cuda/dist.cu).
import { backendFor, callDevice, type DistInput as BackendDistInput } from '../backend/index.js';
import { checkFinite, checkOneOf, checkOptions, fail } from '../core/validate.js';
import { checkMinkowskiP, METRICS, type Device, type Metric } from '../core/vocabulary.js';
import { checkableValues } from '../cuda/tensors.js';
import { fromNested, Tensor } from '../tensor/tensor.js';

/** Metrics of ot.dist: POT's backend-generic ones plus scipy's chebyshev. */
export type DistMetric = Metric;
export const DIST_METRICS: readonly DistMetric[] = METRICS;

export interface DistOptions {
  /** Default 'sqeuclidean' (POT's default). */
  metric?: DistMetric;
  /** Minkowski exponent, finite and >= 1 (default 2); ignored by the other metrics. */
  p?: number;
}
export interface DistAsyncOptions extends DistOptions {
  /** Aborting rejects the promise with ERR_OT_ABORTED and stops the kernel early. */
  signal?: AbortSignal;
}

/** Samples as rows: a 2-d Tensor [n, d] or nested arrays (converted to float64). */
export type DistInput = Tensor | number[][];

/** A validated dist call (both tensors on `device`, one dtype). */
interface Problem extends BackendDistInput {
  device: Device;
}

function asMatrix(fn: string, name: string, v: unknown): Tensor {
  let t: Tensor;
  if (v instanceof Tensor) t = v;
  else if (Array.isArray(v)) t = fromNested(v as number[][], 'float64');
  else return fail('ERR_OT_ARG', `${fn}: ${name} must be a Tensor or a number[][], got ${v === null ? 'null' : typeof v}`);
  if (t.ndim !== 2) fail('ERR_OT_SHAPE', `${fn}: ${name} must be 2-d [samples, features], got shape [${t.shape.join(', ')}]`);
  return t;
}

function isOptionsObject(v: unknown): v is DistAsyncOptions {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Tensor);
}

// Values of cuda tensors are checked only when a host copy is cached (no copy back just to check).
function firstZeroRow(t: Tensor): number {
  const [rows, d] = t.shape as [number, number];
  const v = checkableValues(t);
  if (v === null) return -1;
  for (let i = 0; i < rows; i++) {
    let k = 0;
    while (k < d && v[i * d + k] === 0) k++;
    if (k === d) return i;
  }
  return -1;
}

function resolve(fn: string, xIn: unknown, yIn: unknown, opts: DistAsyncOptions | undefined, allowed: readonly string[]): Problem {
  checkOptions(fn, opts, allowed);
  const metric = checkOneOf(fn, 'metric', opts?.metric ?? 'sqeuclidean', DIST_METRICS);
  const p = checkMinkowskiP(fn, opts?.p ?? 2);
  const device = callDevice(fn, [['x', xIn], ['y', yIn]]);
  let x = asMatrix(fn, 'x', xIn);
  const same = yIn === undefined || yIn === null || yIn === xIn;
  let y = same ? x : asMatrix(fn, 'y', yIn);
  const [n, d] = x.shape as [number, number];
  const [m, dy] = y.shape as [number, number];
  if (dy !== d) fail('ERR_OT_SHAPE', `${fn}: x has ${d} features (columns) but y has ${dy}`);
  const xv = checkableValues(x);
  const yv = same ? null : checkableValues(y);
  if (xv) checkFinite(fn, 'x', xv);
  if (yv) checkFinite(fn, 'y', yv);
  if (metric === 'cosine') {
    for (const [name, t] of [['x', x], ['y', y]] as const) {
      const i = firstZeroRow(t);
      if (i >= 0) fail('ERR_OT_VALUE', `${fn}: the cosine distance needs non-zero rows, but row ${i} of ${name} is all zeros`);
    }
  }
  // torch promotion: a float32 input meets a float64 one as float64 (the cast stays differentiable).
  if (x.dtype !== y.dtype) {
    if (x.dtype === 'float32') x = x.to('float64');
    else y = y.to('float64');
  }
  return { device, x, y, same, metric, p, n, m, d };
}

function splitArgs(yOrOpts: unknown, opts: unknown): [unknown, DistAsyncOptions | undefined] {
  if (opts === undefined && isOptionsObject(yOrOpts)) return [undefined, yOrOpts];
  return [yOrOpts, opts as DistAsyncOptions | undefined];
}

/**
 * Cost matrix M[i, j] = metric(x_i, y_j) between the rows of x [n, d] and y [m, d] (y defaults to x),
 * in the promoted dtype of x and y. Differentiable w.r.t. x and y for every metric; where a distance
 * is 0 the euclidean / minkowski / chebyshev gradients are 0.
 *
 * Metrics: 'sqeuclidean' (default) Σ(x-y)², 'euclidean', 'cityblock' Σ|x-y|, 'minkowski'
 * (Σ|x-y|^p)^(1/p), 'chebyshev' max|x-y|, 'cosine' 1 - <x,y>/(|x||y|) (rows must be non-zero).
 * Unlike POT's torch path, squared distances are summed from differences, so they are never negative.
 * With cuda tensors (x and y on one device, else ERR_OT_DEVICE) M and its backward are computed on
 * the GPU and M is a cuda tensor; their values are checked (finite, non-zero cosine rows) only where
 * a host copy is already cached.
 * @example
 * const xs = ot.rand([300, 2], { seed: 0 });
 * const xt = ot.rand([200, 2], { seed: 1, requiresGrad: true });
 * const M = ot.dist(xs, xt);                       // [300, 200] squared euclidean
 * const C = ot.dist(xs, { metric: 'cityblock' });  // [300, 300], y = x
 * M.sum().backward(); // xt.grad
 */
export function dist(x: DistInput, y?: DistInput | null, opts?: DistOptions): Tensor;
export function dist(x: DistInput, opts?: DistOptions): Tensor;
export function dist(x: DistInput, yOrOpts?: DistInput | DistOptions | null, opts?: DistOptions): Tensor {
  const [y, o] = splitArgs(yOrOpts, opts);
  const pb = resolve('dist', x, y, o, ['metric', 'p']);
  return backendFor(pb.device).dist(pb);
}

/**
 * {@link dist} computed off the event loop; the result (and its gradient) is the same. On cuda
 * tensors an abort is honoured before and after the GPU kernel, which cannot stop midway.
 * @example
 * const ac = new AbortController();
 * const M = await ot.distAsync(xs, xt, { metric: 'euclidean', signal: ac.signal });
 */
export function distAsync(x: DistInput, y?: DistInput | null, opts?: DistAsyncOptions): Promise<Tensor>;
export function distAsync(x: DistInput, opts?: DistAsyncOptions): Promise<Tensor>;
export async function distAsync(x: DistInput, yOrOpts?: DistInput | DistAsyncOptions | null, opts?: DistAsyncOptions): Promise<Tensor> {
  const [y, o] = splitArgs(yOrOpts, opts);
  const pb = resolve('distAsync', x, y, o, ['metric', 'p', 'signal']);
  return backendFor(pb.device).distAsync('distAsync', pb, o?.signal);
}

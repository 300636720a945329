// Sliced and max-sliced Wasserstein distances (POT: ot.sliced_wasserstein_distance,
// ot.max_sliced_wasserstein_distance): project both samples on k directions and solve the k 1-D
// problems in one native pass (native/cpu/sliced.cc). Options are resolved and shapes checked here.
import { backendFor, callDevice, type SlicedInput } from '../backend/index.js';
import { checkInteger, checkOptions, fail } from '../core/validate.js';
import { checkMinkowskiP, type Device } from '../core/vocabulary.js';
import type { RandomState } from '../datasets/numpy-random.js';
import { commonDType, inDType, sampleTensor, weightTensor, wordValueError, type SampleInput } from '../lp/sample-args.js';
import { Tensor } from '../tensor/tensor.js';
import { getRandomProjections } from './projections.js';

export interface SlicedOptions {
  /** Weights of xS's samples [n], default uniform. Not differentiated. */
  a?: SampleInput | null;
  /** Weights of xT's samples [m], default uniform. */
  b?: SampleInput | null;
  /** Number of random directions when `projections` is not given (default 50, as POT). */
  nProjections?: number;
  /** Exponent of the ground cost, finite and >= 1 (default 2, as POT). */
  p?: number;
  /** The directions as the columns of a [d, k] matrix (unit columns, as POT's; not differentiated); nProjections and seed are then unused. */
  projections?: SampleInput | null;
  /** Seed of the random directions: an integer gives POT's numpy directions; a RandomState is advanced in place. */
  seed?: number | RandomState;
}
export interface SlicedAsyncOptions extends SlicedOptions {
  /** Aborting rejects the promise with ERR_OT_ABORTED and stops the kernel between projections. */
  signal?: AbortSignal;
}

const KEYS = ['a', 'b', 'nProjections', 'p', 'projections', 'seed'];

interface Resolved {
  device: Device;
  pb: SlicedInput;
  samples: [string, Tensor][];
  weights: [string, Tensor | null][];
}

function resolve(fn: string, kind: 'mean' | 'max', xSIn: unknown, xTIn: unknown, opts: SlicedAsyncOptions | undefined, keys: string[]): Resolved {
  checkOptions(fn, opts, keys);
  const p = checkMinkowskiP(fn, opts?.p ?? 2);
  const device = callDevice(fn, [['xS', xSIn], ['xT', xTIn], ['a', opts?.a], ['b', opts?.b], ['projections', opts?.projections]]);
  let xS = sampleTensor(fn, 'xS', xSIn, [2]);
  let xT = sampleTensor(fn, 'xT', xTIn, [2]);
  const [n, d] = xS.shape as [number, number];
  const [m, dT] = xT.shape as [number, number];
  if (dT !== d) fail('ERR_OT_SHAPE', `${fn}: xS has ${d} features (columns) but xT has ${dT}`);
  let a = weightTensor(fn, 'a', opts?.a, [[n]], `xS's ${n} rows`);
  let b = weightTensor(fn, 'b', opts?.b, [[m]], `xT's ${m} rows`);
  let P: Tensor;
  if (opts?.projections !== undefined && opts.projections !== null) {
    P = sampleTensor(fn, 'projections', opts.projections, [2]);
    if (P.shape[0] !== d) fail('ERR_OT_SHAPE', `${fn}: projections must be [d, k] with d = ${d} rows (xS's features), got shape [${P.shape.join(', ')}]`);
  } else {
    const k = checkInteger(fn, 'nProjections', opts?.nProjections ?? 50, 1, 2 ** 31 - 1);
    P = getRandomProjections(d, k, opts?.seed, fn);
    if (device === 'cuda') P = P.to('cuda');
  }
  const dtype = commonDType(xS, xT);
  [xS, xT, a, b] = [inDType(xS, dtype), inDType(xT, dtype), inDType(a, dtype), inDType(b, dtype)];
  // The directions are constants of the distance (POT differentiates only through the samples here).
  P = P.detach().to(dtype);
  const k = P.shape[1]!;
  return {
    device,
    pb: { xS, xT, a, b, projections: P, n, m, d, k, p, kind },
    samples: [['xS', xS], ['xT', xT], ['projections', P]],
    weights: [['a', a], ['b', b]],
  };
}

function run(fn: string, r: Resolved): Tensor {
  try {
    return backendFor(r.device).sliced(r.pb).value;
  } catch (e) {
    return wordValueError(fn, e, r.samples, r.weights);
  }
}

async function runAsync(fn: string, r: Resolved, signal: AbortSignal | undefined): Promise<Tensor> {
  try {
    return (await backendFor(r.device).slicedAsync(fn, r.pb, signal)).value;
  } catch (e) {
    return wordValueError(fn, e, r.samples, r.weights);
  }
}

/**
 * Sliced Wasserstein distance (POT: ot.sliced_wasserstein_distance): (mean over the directions θ of
 * W_p^p(<xS, θ>, <xT, θ>))^(1/p), a scalar Tensor. xS [n, d], xT [m, d]; the directions are
 * `projections` [d, k] or nProjections random ones (seeded as POT's numpy path). Every direction's
 * 1-D problem is solved in one native pass on threads. Differentiable w.r.t. xS and xT (the gradient
 * comes from the same pass; it is 0 where the distance is 0, where the p-th root has no derivative).
 * On cuda tensors the samples are copied to the host, solved there and the value returned on the GPU.
 * @example
 * const xS = ot.randn([500, 20], { seed: 0, requiresGrad: true });
 * const xT = ot.randn([400, 20], { seed: 1 }).add(1);
 * const sw = ot.slicedWassersteinDistance(xS, xT, { nProjections: 200, seed: 0 });
 * sw.backward();   // xS.grad
 */
export function slicedWassersteinDistance(xS: SampleInput, xT: SampleInput, opts?: SlicedOptions): Tensor {
  const fn = 'slicedWassersteinDistance';
  return run(fn, resolve(fn, 'mean', xS, xT, opts, KEYS));
}

/** {@link slicedWassersteinDistance} computed off the event loop; the result (and its gradient) is the same. */
export async function slicedWassersteinDistanceAsync(xS: SampleInput, xT: SampleInput, opts?: SlicedAsyncOptions): Promise<Tensor> {
  const fn = 'slicedWassersteinDistanceAsync';
  return runAsync(fn, resolve(fn, 'mean', xS, xT, opts, [...KEYS, 'signal']), opts?.signal);
}

/**
 * Max-sliced Wasserstein distance (POT: ot.max_sliced_wasserstein_distance): (max over the
 * directions of W_p^p)^(1/p), with the same options as {@link slicedWassersteinDistance}.
 * Differentiable w.r.t. xS and xT through the maximising direction (the first one on ties).
 * @example
 * const msw = ot.maxSlicedWassersteinDistance(xS, xT, { nProjections: 200, seed: 0 });
 */
export function maxSlicedWassersteinDistance(xS: SampleInput, xT: SampleInput, opts?: SlicedOptions): Tensor {
  const fn = 'maxSlicedWassersteinDistance';
  return run(fn, resolve(fn, 'max', xS, xT, opts, KEYS));
}

/** {@link maxSlicedWassersteinDistance} computed off the event loop. */
export async function maxSlicedWassersteinDistanceAsync(xS: SampleInput, xT: SampleInput, opts?: SlicedAsyncOptions): Promise<Tensor> {
  const fn = 'maxSlicedWassersteinDistanceAsync';
  return runAsync(fn, resolve(fn, 'max', xS, xT, opts, [...KEYS, 'signal']), opts?.signal);
}

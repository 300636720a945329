// The debiased Sinkhorn divergence between point clouds (POT: ot.bregman.empirical_sinkhorn_divergence):
// S(a, b) = OT(a, b) − ½ OT(a, a) − ½ OT(b, b), with OT the transport cost <M, plan> of the entropic plan
// (POT's sinkhorn2) on M = dist(x, y). S is 0 for equal measures and clipped at 0 as POT does;
// differentiable w.r.t. the points and the weights through ot.solve's 'autodiff' gradients. lazy: true
// computes the same three costs with the lazy Sinkhorn (O(n + m) memory, no cost matrix) and their
// implicit gradients, the limit of 'autodiff' (solvers/lazy.ts lazyTransportCost).
import { checkInteger, checkOptions, checkPositive, fail } from '../core/validate.js';
import { sampleTensor } from '../lp/sample-args.js';
import { dist, distAsync, type DistInput, type DistMetric } from '../costs/index.js';
import type { WeightsInput } from '../bregman/sinkhorn.js';
import type { Tensor } from '../tensor/tensor.js';
import { lazyTransportCost, lazyTransportCostAsync, type LazySolveOptions } from './lazy.js';
import { solve, solveAsync, type SolveOptions } from './solve.js';

export interface SinkhornDivergenceOptions {
  /** Weights of xS's and xT's points (a Tensor, an array, or omitted: uniform). */
  a?: WeightsInput;
  b?: WeightsInput;
  /** Entropic regularisation, > 0 (required). */
  reg: number;
  /** Ground cost of dist (default 'sqeuclidean', as POT). */
  metric?: DistMetric;
  /** Sinkhorn iterations per problem (default 10000, POT's numIterMax here). */
  maxIter?: number;
  /** POT's stopThr (default 1e-9; lazy: sum_i |plan 1 - a|_i, checked every 10 iterations, as POT's lazy solver). */
  tol?: number;
  /**
   * Never store a cost matrix: each Sinkhorn recomputes its cost tiles from the points (metric 'sqeuclidean'
   * only), memory O(n + m) forward and backward; same value and gradients as the dense path.
   */
  lazy?: boolean;
  /** lazy: columns per cost tile (default: sized by the kernel for the cache); a speed knob only. */
  batchSize?: number;
}
export interface SinkhornDivergenceAsyncOptions extends SinkhornDivergenceOptions {
  /** Aborting rejects the promise with ERR_OT_ABORTED. */
  signal?: AbortSignal;
}

const KEYS = ['a', 'b', 'reg', 'metric', 'maxIter', 'tol', 'lazy', 'batchSize'] as const;

type Settings = SolveOptions & { metric: DistMetric; lazy: LazySolveOptions | null };

function settings(fn: string, opts: SinkhornDivergenceOptions | undefined, keys: readonly string[]): Settings {
  if (opts === undefined || opts === null || typeof opts !== 'object') fail('ERR_OT_ARG', `${fn}: options { reg, ... } are required, got ${String(opts)}`);
  checkOptions(fn, opts, keys);
  const reg = checkPositive(fn, 'reg', opts.reg);
  const maxIter = opts.maxIter ?? 10000, tol = opts.tol ?? 1e-9, metric = opts.metric ?? 'sqeuclidean';
  if (opts.lazy !== undefined && typeof opts.lazy !== 'boolean') fail('ERR_OT_ARG', `${fn}: lazy must be a boolean, got ${JSON.stringify(opts.lazy)}`);
  let lazy: LazySolveOptions | null = null;
  if (opts.lazy === true) {
    if (metric !== 'sqeuclidean') fail('ERR_OT_ARG', `${fn}: lazy: true takes metric 'sqeuclidean' only, got ${JSON.stringify(metric)}`);
    const batchSize = opts.batchSize === undefined ? undefined : checkInteger(fn, 'batchSize', opts.batchSize, 1, 2 ** 30);
    lazy = { reg, maxIter, tol, batchSize };
  } else if (opts.batchSize !== undefined) {
    fail('ERR_OT_ARG', `${fn}: batchSize applies to lazy: true, got batchSize ${JSON.stringify(opts.batchSize)} without it`);
  }
  return { reg, maxIter, tol, grad: 'autodiff', metric, lazy };
}

/** The point clouds as tensors [n, d], [m, d] with one d (named as the caller knows them). */
function clouds(fn: string, xS: DistInput, xT: DistInput): [Tensor, Tensor] {
  const s = sampleTensor(fn, 'xS', xS, [2]), t = sampleTensor(fn, 'xT', xT, [2]);
  if (s.shape[1] !== t.shape[1]) fail('ERR_OT_SHAPE', `${fn}: xS and xT must have the same number of columns, got [${s.shape.join(', ')}] and [${t.shape.join(', ')}]`);
  return [s, t];
}

/** S = ab − ½(aa + bb), clipped at 0 as POT (where it is clipped, the gradient is 0: S − S). */
function debiased(ab: Tensor, aa: Tensor, bb: Tensor): Tensor {
  const s = ab.sub(aa.add(bb).mul(0.5));
  return s.item() < 0 ? s.sub(s) : s;
}

/**
 * The debiased Sinkhorn divergence between the point clouds xS [n, d] and xT [m, d], a scalar tensor
 * (POT: ot.bregman.empirical_sinkhorn_divergence). Gradients flow to xS, xT (and a, b when they are tensors
 * that require grad).
 * @example
 * const xS = ot.randn([200, 2], { seed: 0, requiresGrad: true });
 * const S = ot.sinkhornDivergence(xS, ot.randn([150, 2], { seed: 1 }).add(1), { reg: 0.1 });
 * S.backward();   // xS.grad
 */
export function sinkhornDivergence(xS: DistInput, xT: DistInput, opts: SinkhornDivergenceOptions): Tensor {
  const fn = 'sinkhornDivergence';
  const { metric, lazy, ...o } = settings(fn, opts, KEYS);
  if (lazy !== null) {
    const [s, t] = clouds(fn, xS, xT);
    const cost = (x: Tensor, y: Tensor, wx: WeightsInput | undefined, wy: WeightsInput | undefined): Tensor => lazyTransportCost(fn, x, y, wx, wy, lazy);
    return debiased(cost(s, t, opts.a, opts.b), cost(s, s, opts.a, opts.a), cost(t, t, opts.b, opts.b));
  }
  const ot = (x: DistInput, y: DistInput, wx: WeightsInput, wy: WeightsInput): Tensor =>
    solve(dist(x, y, { metric }), wx as Tensor, wy as Tensor, o).valueLinear;
  return debiased(ot(xS, xT, opts.a, opts.b), ot(xS, xS, opts.a, opts.a), ot(xT, xT, opts.b, opts.b));
}

/** {@link sinkhornDivergence} off the event loop (the three solves run concurrently); `signal` aborts it. */
export async function sinkhornDivergenceAsync(xS: DistInput, xT: DistInput, opts: SinkhornDivergenceAsyncOptions): Promise<Tensor> {
  const fn = 'sinkhornDivergenceAsync';
  const { metric, lazy, ...o } = settings(fn, opts, [...KEYS, 'signal']);
  const signal = opts.signal;
  if (lazy !== null) {
    const [s, t] = clouds(fn, xS, xT);
    const cost = (x: Tensor, y: Tensor, wx: WeightsInput | undefined, wy: WeightsInput | undefined): Promise<Tensor> =>
      lazyTransportCostAsync(fn, x, y, wx, wy, { ...lazy, signal });
    const [ab, aa, bb] = await Promise.all([cost(s, t, opts.a, opts.b), cost(s, s, opts.a, opts.a), cost(t, t, opts.b, opts.b)]);
    return debiased(ab, aa, bb);
  }
  const ot = async (x: DistInput, y: DistInput, wx: WeightsInput, wy: WeightsInput): Promise<Tensor> =>
    (await solveAsync(await distAsync(x, y, { metric, signal }), wx as Tensor, wy as Tensor, { ...o, signal })).valueLinear;
  const [ab, aa, bb] = await Promise.all([ot(xS, xT, opts.a, opts.b), ot(xS, xS, opts.a, opts.a), ot(xT, xT, opts.b, opts.b)]);
  return debiased(ab, aa, bb);
}

// The debiased Sinkhorn divergence between point clouds (POT: ot.bregman.empirical_sinkhorn_divergence):
// S(a, b) = OT(a, b) − ½ OT(a, a) − ½ OT(b, b), with OT the transport cost <M, plan> of the entropic plan
// (POT's sinkhorn2) on M = dist(x, y). S is 0 for equal measures and clipped at 0 as POT does;
// differentiable w.r.t. the points and the weights through ot.solve's 'autodiff' gradients.
import { checkOptions, checkPositive, fail } from '../core/validate.js';
import { dist, distAsync, type DistInput, type DistMetric } from '../costs/index.js';
import type { WeightsInput } from '../bregman/sinkhorn.js';
import type { Tensor } from '../tensor/tensor.js';
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
  /** POT's stopThr (default 1e-9). */
  tol?: number;
}
export interface SinkhornDivergenceAsyncOptions extends SinkhornDivergenceOptions {
  /** Aborting rejects the promise with ERR_OT_ABORTED. */
  signal?: AbortSignal;
}

const KEYS = ['a', 'b', 'reg', 'metric', 'maxIter', 'tol'] as const;

function settings(fn: string, opts: SinkhornDivergenceOptions | undefined, keys: readonly string[]): SolveOptions & { metric: DistMetric } {
  if (opts === undefined || opts === null || typeof opts !== 'object') fail('ERR_OT_ARG', `${fn}: options { reg, ... } are required, got ${String(opts)}`);
  checkOptions(fn, opts, keys);
  const reg = checkPositive(fn, 'reg', opts.reg);
  return { reg, maxIter: opts.maxIter ?? 10000, tol: opts.tol ?? 1e-9, grad: 'autodiff', metric: opts.metric ?? 'sqeuclidean' };
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
  const { metric, ...o } = settings('sinkhornDivergence', opts, KEYS);
  const ot = (x: DistInput, y: DistInput, wx: WeightsInput, wy: WeightsInput): Tensor =>
    solve(dist(x, y, { metric }), wx as Tensor, wy as Tensor, o).valueLinear;
  return debiased(ot(xS, xT, opts.a, opts.b), ot(xS, xS, opts.a, opts.a), ot(xT, xT, opts.b, opts.b));
}

/** {@link sinkhornDivergence} off the event loop (the three solves run concurrently); `signal` aborts it. */
export async function sinkhornDivergenceAsync(xS: DistInput, xT: DistInput, opts: SinkhornDivergenceAsyncOptions): Promise<Tensor> {
  const { metric, ...o } = settings('sinkhornDivergenceAsync', opts, [...KEYS, 'signal']);
  const signal = opts.signal;
  const ot = async (x: DistInput, y: DistInput, wx: WeightsInput, wy: WeightsInput): Promise<Tensor> =>
    (await solveAsync(await distAsync(x, y, { metric, signal }), wx as Tensor, wy as Tensor, { ...o, signal })).valueLinear;
  const [ab, aa, bb] = await Promise.all([ot(xS, xT, opts.a, opts.b), ot(xS, xS, opts.a, opts.a), ot(xT, xT, opts.b, opts.b)]);
  return debiased(ab, aa, bb);
}

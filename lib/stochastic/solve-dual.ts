// Whole dual ascents in one native call (Seguy et al. 2018; POT's plot_dual_ot_pytorch loop):
// solveDualEntropic / solveDualQuadratic run `steps` Adam or SGD updates of the potentials on the
// fused dual loss without returning to JS between steps, with exactly the arithmetic of the JS loop
// `loss = lossDual*(u, v, xs, xt).neg(); loss.backward(); opt.step(); opt.zeroGrad()`.
import { backendFor, type DualAscentOptimizer, type DualAscentOutput } from '../backend/index.js';
import { throwIfAborted } from '../core/cancel.js';
import { checkInteger, checkOneOf, checkOptions, fail } from '../core/validate.js';
import { checkFlag, checkRange } from '../optim/optimizer.js';
import { allocate } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { nativeValueError, resolve, type ArgNames, type DualKind, type DualMetric, type PotentialInput, type SamplesInput } from './dual.js';

export interface SolveDualOptions {
  /** Regularisation strength, > 0 (default 1). */
  reg?: number;
  /** Source sample weights [n], >= 0 (default uniform 1/n); lossDual*'s ws. */
  a?: Tensor | number[] | null;
  /** Target sample weights [m], >= 0 (default uniform 1/m); lossDual*'s wt. */
  b?: Tensor | number[] | null;
  /** Ground cost between samples, as in ot.dist (default 'sqeuclidean'). */
  metric?: DualMetric;
  /** Minkowski exponent, finite and >= 1 (default 2); ignored by the other metrics. */
  p?: number;
  /** Number of optimiser updates, an integer >= 0 (default 200, as POT's example). */
  steps?: number;
  /** 'adam' (default, torch.optim.Adam) or 'sgd' (torch.optim.SGD). */
  optimizer?: 'adam' | 'sgd';
  /** Learning rate, >= 0 (default 1, as POT's example). */
  lr?: number;
  /** Adam: decay rates of the moment estimates (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Adam: added to the denominator (default 1e-8). */
  eps?: number;
  /** Adam: use the running maximum of the second moment (default false). */
  amsgrad?: boolean;
  /** SGD: momentum factor (default 0). */
  momentum?: number;
  /** SGD: dampening of the momentum (default 0). */
  dampening?: number;
  /** SGD: Nesterov momentum; needs momentum > 0 and dampening 0 (default false). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient as weightDecay·potential (default 0). */
  weightDecay?: number;
  /** Initial source potentials [n] (default zeros). */
  u0?: PotentialInput;
  /** Initial target potentials [m] (default zeros). */
  v0?: PotentialInput;
}

export interface SolveDualAsyncOptions extends SolveDualOptions {
  /** Aborting rejects the promise with ERR_OT_ABORTED and stops the ascent within a step. */
  signal?: AbortSignal;
}

export interface SolveDualResult {
  /** Final source potentials [n] (the dtype of the inputs). */
  u: Tensor;
  /** Final target potentials [m]. */
  v: Tensor;
  /**
   * The dual objective (lossDual*'s value, maximised) at the potentials of each step, before its
   * update: history[k] is what the JS loop's −loss.item() reads at step k.
   */
  history: Float64Array;
  /** The dual objective at the final potentials. */
  value: number;
}

const ADAM_KEYS = ['betas', 'eps', 'amsgrad'] as const;
const SGD_KEYS = ['momentum', 'dampening', 'nesterov'] as const;
const KEYS = ['reg', 'a', 'b', 'metric', 'p', 'steps', 'optimizer', 'lr', 'weightDecay', 'u0', 'v0', ...ADAM_KEYS, ...SGD_KEYS] as const;
const ASYNC_KEYS = [...KEYS, 'signal'] as const;
const NAMES: ArgNames = { u: 'u0', v: 'v0', ws: 'a', wt: 'b' };

/** The optimiser's hyper-parameters, checked as ot.optim checks them (options of the other rule rejected). */
function optimizer(fn: string, o: SolveDualOptions): DualAscentOptimizer {
  const rule = checkOneOf(fn, 'optimizer', o.optimizer ?? 'adam', ['adam', 'sgd'] as const);
  const lr = checkRange(fn, 'lr', o.lr ?? 1, 0, Infinity);
  const weightDecay = checkRange(fn, 'weightDecay', o.weightDecay ?? 0, 0, Infinity);
  const foreign = (rule === 'adam' ? SGD_KEYS : ADAM_KEYS).find((k) => o[k] !== undefined);
  if (foreign) fail('ERR_OT_ARG', `${fn}: option '${foreign}' belongs to the ${rule === 'adam' ? 'sgd' : 'adam'} optimizer, but optimizer is '${rule}'`);
  if (rule === 'adam') {
    const betas = o.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) fail('ERR_OT_ARG', `${fn}: betas must be a pair [beta1, beta2]`);
    return {
      optimizer: 'adam', lr, weightDecay,
      beta1: checkRange(fn, 'betas[0]', betas[0], 0, 1), beta2: checkRange(fn, 'betas[1]', betas[1], 0, 1),
      eps: checkRange(fn, 'eps', o.eps ?? 1e-8, 0, Infinity), amsgrad: checkFlag(fn, 'amsgrad', o.amsgrad ?? false),
    };
  }
  const momentum = checkRange(fn, 'momentum', o.momentum ?? 0, 0, Infinity);
  const dampening = checkRange(fn, 'dampening', o.dampening ?? 0, -Infinity, Infinity);
  const nesterov = checkFlag(fn, 'nesterov', o.nesterov ?? false);
  if (nesterov && (momentum <= 0 || dampening !== 0)) fail('ERR_OT_VALUE', `${fn}: nesterov momentum requires momentum > 0 and dampening = 0`);
  return { optimizer: 'sgd', lr, weightDecay, momentum, dampening, nesterov };
}

/** Zeros as the default potentials: as many as `x` has rows, in its dtype (float64 for nested arrays). */
function zerosFor(x: unknown): PotentialInput {
  if (x instanceof Tensor) return new Tensor(allocate(x.dtype, x.shape[0] ?? 0), [x.shape[0] ?? 0]);
  return new Array<number>(Array.isArray(x) ? x.length : 0).fill(0);
}

function prepare(fn: string, kind: DualKind, xs: SamplesInput, xt: SamplesInput, opts: SolveDualAsyncOptions | undefined, allowed: readonly string[]) {
  checkOptions(fn, opts, allowed);
  const o = opts ?? {};
  const pb = resolve(fn, kind, o.u0 ?? zerosFor(xs), o.v0 ?? zerosFor(xt), xs, xt, { reg: o.reg, metric: o.metric, p: o.p, ws: o.a, wt: o.b },
    ['reg', 'metric', 'p', 'ws', 'wt'], NAMES);
  const steps = checkInteger(fn, 'steps', o.steps ?? 200, 0, 2 ** 40);
  const backend = backendFor(pb.device);
  if (!backend.dualAscent || !backend.dualAscentAsync) {
    fail('ERR_OT_DEVICE', `${fn}: the native dual ascent runs on CPU tensors only for now; pass CPU tensors (or loop over lossDual* on the GPU)`);
  }
  return { pb: { ...pb, steps, optimizer: optimizer(fn, o) }, backend };
}

function result(out: DualAscentOutput): SolveDualResult {
  return { u: out.u, v: out.v, history: out.history, value: out.value };
}

function solveSync(fn: string, kind: DualKind, xs: SamplesInput, xt: SamplesInput, opts: SolveDualOptions | undefined): SolveDualResult {
  const { pb, backend } = prepare(fn, kind, xs, xt, opts, KEYS);
  try {
    return result(backend.dualAscent!(fn, pb));
  } catch (e) {
    throw nativeValueError(fn, pb, e, NAMES);
  }
}

async function solveAsync(fn: string, kind: DualKind, xs: SamplesInput, xt: SamplesInput, opts: SolveDualAsyncOptions | undefined): Promise<SolveDualResult> {
  const { pb, backend } = prepare(fn, kind, xs, xt, opts, ASYNC_KEYS);
  throwIfAborted(fn, opts?.signal);
  try {
    return result(await backend.dualAscentAsync!(fn, pb, opts?.signal));
  } catch (e) {
    throw nativeValueError(fn, pb, e, NAMES);
  }
}

/**
 * Entropic dual potentials by dual ascent, natively in one call: `steps` updates of u, v with Adam
 * (or SGD) on −lossDualEntropic (Seguy et al. 2018), the same trajectory as the JS loop over
 * lossDualEntropic + ot.optim.Adam, to the last bit. The plan is planDualEntropic(res.u, res.v, xs, xt).
 * @example
 * const res = ot.stochastic.solveDualEntropic(xs, xt, { reg: 0.5, lr: 1, steps: 200 });
 * const G = ot.stochastic.planDualEntropic(res.u, res.v, xs, xt, { reg: 0.5 });
 */
export function solveDualEntropic(xs: SamplesInput, xt: SamplesInput, opts?: SolveDualOptions): SolveDualResult {
  return solveSync('solveDualEntropic', 'entropic', xs, xt, opts);
}

/**
 * Quadratic dual potentials by dual ascent, natively in one call (see {@link solveDualEntropic}).
 * @example
 * const res = ot.stochastic.solveDualQuadratic(xs, xt, { reg: 0.01, lr: 1, steps: 200 });
 */
export function solveDualQuadratic(xs: SamplesInput, xt: SamplesInput, opts?: SolveDualOptions): SolveDualResult {
  return solveSync('solveDualQuadratic', 'quadratic', xs, xt, opts);
}

/** {@link solveDualEntropic} off the event loop. @example const res = await ot.stochastic.solveDualEntropicAsync(xs, xt, { reg: 0.5, signal }); */
export function solveDualEntropicAsync(xs: SamplesInput, xt: SamplesInput, opts?: SolveDualAsyncOptions): Promise<SolveDualResult> {
  return solveAsync('solveDualEntropicAsync', 'entropic', xs, xt, opts);
}

/** {@link solveDualQuadratic} off the event loop. @example const res = await ot.stochastic.solveDualQuadraticAsync(xs, xt, { reg: 0.01 }); */
export function solveDualQuadraticAsync(xs: SamplesInput, xt: SamplesInput, opts?: SolveDualAsyncOptions): Promise<SolveDualResult> {
  return solveAsync('solveDualQuadraticAsync', 'quadratic', xs, xt, opts);
}

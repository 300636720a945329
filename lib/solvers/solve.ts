// Entropic OT solver (POT: ot.solve, entropic branch = sinkhorn_log) and its async twin; options are
// resolved and inputs validated here, the iterations run in native/cpu/sinkhorn.cc (cuda tensors:
// solve-cuda.ts).
import { withCancelFlag } from '../core/cancel.js';
import { callDevice } from '../cuda/tensors.js';
import { Tensor } from '../tensor/tensor.js';
import { checkFinite, checkFiniteNumber, checkInteger, checkNonNegative, checkOneOf, checkOptions, checkPositive, fail } from '../core/validate.js';
import { ENTROPIC_REG_TYPES, GRAD_MODES, checkSpelling, type Device, type GradMode } from '../core/vocabulary.js';
import { warn } from '../core/warnings.js';
import { buildResult, type SolveProblem } from './grad-modes.js';
import { nativeSolve, type EntropicRegType, type NativeSolveOut, type SolveRecord, type SolveStatus } from './native-solve.js';
import type { OTResult } from './result.js';
import { solveCuda, solveCudaAsync } from './solve-cuda.js';

export interface SolveOptions {
  /** Entropic regularisation strength, > 0 (required: exact OT is not available yet). */
  reg?: number;
  /** 'KL' (default, POT's default): reg * KL(plan || a b^T); 'entropy': reg * sum(plan log plan). */
  regType?: EntropicRegType;
  /** Iteration cap (default 1000). */
  maxIter?: number;
  /** Stop when ||plan^T 1 - b||_2 < tol, checked every 10 iterations (default 1e-9). */
  tol?: number;
  /** How gradients reach M, a, b (default 'autodiff'); see the README's solve section. */
  grad?: GradMode;
}
export interface SolveAsyncOptions extends SolveOptions {
  /** Aborting rejects the promise with ERR_OT_ABORTED; the kernel stops within an iteration. */
  signal?: AbortSignal;
}

const KEYS = ['reg', 'regType', 'maxIter', 'tol', 'grad'] as const;

/** A validated solve call: the problem on `device` and the iteration controls. */
export interface Resolved {
  device: Device;
  problem: SolveProblem;
  maxIter: number;
  tol: number;
  record: SolveRecord;
}

function isOptions(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !(v instanceof Tensor) && !Array.isArray(v);
}

function weights(fn: string, name: 'a' | 'b', v: unknown, len: number, side: string): { t: Tensor; data: Float64Array } {
  if (v === undefined || v === null) {
    const data = new Float64Array(len).fill(1 / len);
    return { t: new Tensor(data, [len]), data };
  }
  if (!(v instanceof Tensor)) return fail('ERR_OT_ARG', `${fn}: ${name} must be a Tensor (or undefined for uniform weights), got ${typeof v}`);
  if (v.ndim !== 1) fail('ERR_OT_SHAPE', `${fn}: ${name} must be 1-d, got shape [${v.shape.join(', ')}]`);
  if (v.shape[0] !== len) fail('ERR_OT_SHAPE', `${fn}: ${name} has ${v.shape[0]} entries but M has ${len} ${side}`);
  checkFinite(fn, name, v.data);
  checkNonNegative(fn, name, v.data);
  const data = v.data instanceof Float64Array ? v.data : Float64Array.from(v.data);
  return { t: v, data };
}

function total(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s;
}

function resolve(fn: string, M: unknown, aIn: unknown, bIn: unknown, opts: SolveAsyncOptions | undefined, allowed: readonly string[]): Resolved {
  checkOptions(fn, opts, allowed);
  if (!(M instanceof Tensor)) return fail('ERR_OT_ARG', `${fn}: M must be a Tensor, got ${M === null ? 'null' : typeof M}`);
  const device = callDevice(fn, [['M', M], ['a', aIn], ['b', bIn]]);
  if (M.ndim !== 2) fail('ERR_OT_SHAPE', `${fn}: M must be 2-d [n, m], got shape [${M.shape.join(', ')}]`);
  const [n, m] = M.shape as [number, number];
  if (n === 0 || m === 0) fail('ERR_OT_SHAPE', `${fn}: M must be non-empty, got shape [${n}, ${m}]`);
  const reg = opts?.reg;
  if (reg === undefined || reg === null || reg === 0) fail('ERR_OT_ARG', `${fn}: exact OT (reg=0) is not available yet; pass reg > 0`);
  checkPositive(fn, 'reg', reg);
  const regType = checkSpelling(fn, 'regType', opts?.regType ?? 'KL', ENTROPIC_REG_TYPES);
  const maxIter = checkInteger(fn, 'maxIter', opts?.maxIter ?? 1000, 1, 1e9);
  const tol = checkFiniteNumber(fn, 'tol', opts?.tol ?? 1e-9);
  if (tol < 0) fail('ERR_OT_VALUE', `${fn}: tol must be >= 0, got ${tol}`);
  const grad = checkOneOf(fn, 'grad', opts?.grad ?? 'autodiff', GRAD_MODES);
  // M's entries are checked for finiteness by the native pass (vectorised): a JS loop over n*m
  // entries would block the event loop for tens of milliseconds on large problems.
  const a = weights(fn, 'a', aIn, n, 'rows');
  const b = weights(fn, 'b', bIn, m, 'columns');
  const sa = total(a.data);
  const sb = total(b.data);
  if (!(sa > 0) || !(sb > 0)) fail('ERR_OT_VALUE', `${fn}: a and b must have a positive total mass, got ${sa} and ${sb}`);
  if (Math.abs(sa - sb) > 1e-6 * Math.max(sa, sb)) {
    fail('ERR_OT_VALUE', `${fn}: a and b must have the same total mass (balanced OT), got ${sa} and ${sb}`);
  }
  // Masses equal up to rounding (float32 weights): b is scaled to a's mass, else the marginal error
  // could never fall below tol. The scaling is a constant of the problem, not differentiated.
  const bData = sa === sb ? b.data : b.data.map((v) => (v * sa) / sb);
  const wantsGrad = M.requiresGrad || a.t.requiresGrad || b.t.requiresGrad;
  const record: SolveRecord = grad === 'last_step' ? 'last_step' : grad === 'autodiff' && wantsGrad ? 'history' : 'none';
  return {
    device,
    problem: { M, a: a.t, b: b.t, aData: a.data, bData, n, m, reg, regType, grad },
    maxIter,
    tol,
    record,
  };
}

// POT's positional (M, a, b, ...) with a and b optional: solve(M, { reg }) reads the object as options.
function splitArgs<O>(aIn: unknown, bIn: unknown, opts: O | undefined): [unknown, unknown, O | undefined] {
  if (opts === undefined && bIn === undefined && isOptions(aIn)) return [undefined, undefined, aIn as O];
  return [aIn, bIn, opts];
}

function finish(fn: string, r: Resolved, out: NativeSolveOut): OTResult {
  warnStatus(fn, r, out.status);
  return buildResult(r.problem, out);
}

function warned(fn: string, r: Resolved, res: OTResult): OTResult {
  warnStatus(fn, r, res.status);
  return res;
}

/** The warning (once per call site) of a solve that stopped at maxIter or diverged. */
function warnStatus(fn: string, r: Resolved, status: SolveStatus): void {
  if (status === 'max_iter') {
    warn('OT_SINKHORN_MAX_ITER',
      `${fn}: Sinkhorn did not converge in ${r.maxIter} iterations (marginal error above tol=${r.tol}); increase maxIter or reg`);
  } else if (status === 'diverged') {
    warn('OT_SINKHORN_DIVERGED', `${fn}: Sinkhorn diverged (non-finite values even in the log domain); check M's scale against reg`);
  }
}

/**
 * Entropic optimal transport between histograms a and b (uniform when omitted) for the cost M,
 * with POT's semantics (ot.solve with reg > 0: log-domain Sinkhorn iterates, value = <M, plan> +
 * reg·KL(plan || a b^T)). a and b must carry the same mass (relative 1e-6; b is scaled to a's exact
 * mass). Gradients reach M, a and b according to `grad`: 'autodiff' (through every iteration),
 * 'envelope' (value only, at the optimum), 'last_step' (through one final iteration) or 'detach'.
 * The result is in M's dtype; `status` is 'max_iter' (with a warning) when tol was not reached.
 * With M (and a, b when given) on 'cuda' the iterations and every gradient mode run on the GPU and
 * all result tensors are cuda tensors; a and b are copied back once for the mass checks, and M's
 * values are not read back (a NaN shows as status 'diverged').
 * @example
 * const M = ot.dist(xs, xt);
 * const res = ot.solve(M, a, b, { reg: 0.03, grad: 'autodiff' });
 * res.value.backward();   // M.grad, a.grad, b.grad
 * console.log(res.value.item(), res.status, res.nIter);
 */
export function solve(M: Tensor, a?: Tensor | null, b?: Tensor | null, opts?: SolveOptions): OTResult;
export function solve(M: Tensor, opts: SolveOptions): OTResult;
export function solve(M: Tensor, aIn?: unknown, bIn?: unknown, optsIn?: SolveOptions): OTResult {
  const [a, b, opts] = splitArgs<SolveOptions>(aIn, bIn, optsIn);
  const r = resolve('solve', M, a, b, opts, KEYS);
  if (r.device === 'cuda') return warned('solve', r, solveCuda(r));
  const p = r.problem;
  const out = nativeSolve.sinkhornSolve(p.M.data, p.aData, p.bData, p.n, p.m, p.reg, p.regType, r.maxIter, r.tol, r.record);
  return finish('solve', r, out);
}

/**
 * {@link solve} off the event loop (the iterations run on the libuv thread pool); same result.
 * @example
 * const ac = new AbortController();
 * const res = await ot.solveAsync(M, a, b, { reg: 0.05, signal: ac.signal });
 */
export function solveAsync(M: Tensor, a?: Tensor | null, b?: Tensor | null, opts?: SolveAsyncOptions): Promise<OTResult>;
export function solveAsync(M: Tensor, opts: SolveAsyncOptions): Promise<OTResult>;
export async function solveAsync(M: Tensor, aIn?: unknown, bIn?: unknown, optsIn?: SolveAsyncOptions): Promise<OTResult> {
  const [a, b, opts] = splitArgs<SolveAsyncOptions>(aIn, bIn, optsIn);
  const r = resolve('solveAsync', M, a, b, opts, [...KEYS, 'signal']);
  if (r.device === 'cuda') return warned('solveAsync', r, await solveCudaAsync('solveAsync', r, opts?.signal));
  const p = r.problem;
  const out = await withCancelFlag('solveAsync', opts?.signal, (flag) =>
    nativeSolve.sinkhornSolveAsync(p.M.data, p.aData, p.bData, p.n, p.m, p.reg, p.regType, r.maxIter, r.tol, r.record, flag),
  );
  return finish('solveAsync', r, out);
}

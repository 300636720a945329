// ot.solve's balanced entropic method (POT: ot.solve with reg > 0 and no unbalanced term, which runs
// sinkhorn_log): its options, the mass check, the backend's solve (optionally reg-annealed) and the
// OTResult of its grad mode.
import { backendFor, type SinkhornRecord } from '../../backend/index.js';
import { checkOnProgress, withProgress } from '../../core/progress.js';
import { checkFiniteNumber, checkInteger, checkOneOf, fail } from '../../core/validate.js';
import { checkSpelling, ENTROPIC_REG_TYPES, GRAD_MODES, type Status } from '../../core/vocabulary.js';
import { warn } from '../../core/warnings.js';
import { annealedSinkhorn, annealedSinkhornAsync, resolveEpsScaling, type EpsScaling } from '../eps-scaling.js';
import { buildResult, type SolveProblem } from '../grad-modes.js';
import { total, weights, type CostProblem, type SolveMethod } from '../problem.js';
import type { SolveAsyncOptions } from '../solve.js';

/** The options this method reads, resolved with POT's defaults, and the problem the backend solves. */
function resolve(c: CostProblem, opts: SolveAsyncOptions | undefined): SolveProblem & { eps: EpsScaling | null } {
  const { fn, M, n, m } = c;
  // The dispatcher has checked reg > 0 and that regType is an entropic one.
  const reg = opts!.reg!;
  const regType = checkSpelling(fn, 'regType', opts?.regType ?? 'KL', ENTROPIC_REG_TYPES);
  const maxIter = checkInteger(fn, 'maxIter', opts?.maxIter ?? 1000, 1, 1e9);
  const tol = checkFiniteNumber(fn, 'tol', opts?.tol ?? 1e-9);
  if (tol < 0) fail('ERR_OT_VALUE', `${fn}: tol must be >= 0, got ${tol}`);
  const grad = checkOneOf(fn, 'grad', opts?.grad ?? 'autodiff', GRAD_MODES);
  // M's entries are checked for finiteness by the native pass (vectorised): a JS loop over n*m
  // entries would block the event loop for tens of milliseconds on large problems.
  const a = weights(fn, 'a', c.aIn, n, 'rows');
  const b = weights(fn, 'b', c.bIn, m, 'columns');
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
  const record: SinkhornRecord = grad === 'last_step' ? 'last_step' : grad === 'autodiff' && wantsGrad ? 'history' : 'none';
  const eps = resolveEpsScaling(fn, opts?.epsScaling, M, c.device);
  // The envelope gradient of M is the plan: written by the solve then, instead of rebuilt (an exp per entry).
  const planWanted = grad === 'envelope' && M.requiresGrad;
  return { device: c.device, M, a: a.t, b: b.t, aData: a.data, bData, n, m, reg, regType, maxIter, tol, record, grad, eps, planWanted };
}

/** The warning (once per call site) of a solve that stopped at maxIter or diverged. */
export function warnStatus(fn: string, p: SolveProblem, status: Status): void {
  if (status === 'max_iter') {
    warn('OT_SINKHORN_MAX_ITER',
      `${fn}: Sinkhorn did not converge in ${p.maxIter} iterations (marginal error above tol=${p.tol}); increase maxIter or reg`);
  } else if (status === 'diverged') {
    warn('OT_SINKHORN_DIVERGED', `${fn}: Sinkhorn diverged (non-finite values even in the log domain); check M's scale against reg`);
  }
}

/** Balanced entropic OT by log-domain Sinkhorn on the backend of M's device. */
export const sinkhorn: SolveMethod = {
  solve(c, opts) {
    const p = resolve(c, opts);
    const out = p.eps ? annealedSinkhorn(p, p.eps) : backendFor(p.device).sinkhorn(p);
    warnStatus(c.fn, p, out.status);
    return buildResult(p, out);
  },
  async solveAsync(c, opts) {
    const p = resolve(c, opts);
    const onProgress = checkOnProgress(c.fn, opts?.onProgress);
    if (onProgress !== undefined && p.eps) fail('ERR_OT_ARG', `${c.fn}: onProgress is not reported with epsScaling (each stage restarts the iteration count); omit one of them`);
    if (onProgress !== undefined && p.device !== 'cpu') fail('ERR_OT_DEVICE', `${c.fn}: onProgress is reported by the CPU kernel only for now, got ${p.device} tensors`);
    const out = p.eps
      ? await annealedSinkhornAsync(c.fn, p, p.eps, opts?.signal)
      : await withProgress(onProgress, opts?.signal, (slot, signal) => backendFor(p.device).sinkhornAsync(c.fn, p, signal, slot));
    warnStatus(c.fn, p, out.status);
    return buildResult(p, out);
  },
};

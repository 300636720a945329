// Entropic Sinkhorn on the CPU: the forward and its adjoint run in native/cpu/sinkhorn.cc and
// sinkhorn_adjoint.cc (through native/napi/solve.cc). The recorded iterations stay native and are
// freed as soon as a backward has read them (as torch frees a graph's saved tensors), so that a loop of
// solve + backward reuses their memory; a second backward through the same solve records them again.
import { withCancelFlag } from '../../core/cancel.js';
import { fail } from '../../core/validate.js';
import type { DType, FloatArray } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { nativeSolve, type NativeSolveOut, type SavedHistory, type SolveProblemFields } from '../native-solve.js';
import type { SinkhornCotangents, SinkhornGrads, SinkhornInput, SinkhornOutput } from '../types.js';

/** What the CPU adjoint replays: the log-potentials of every recorded iteration (null once freed). */
interface Saved {
  history: SavedHistory | null;
  iterations: number;
}

function output(p: SinkhornInput, out: NativeSolveOut): SinkhornOutput {
  const saved: Saved | null = out.history ? { history: out.history, iterations: out.iterations } : null;
  return {
    value: out.value, valueLinear: out.valueLinear, plan: out.plan ?? planMaker(p, out), logU: out.logU, logV: out.logV,
    status: out.status, nIter: out.nIter, saved,
  };
}

// A sync solve writes no plan: most calls want the value or gradients only, and an n×m array of fresh
// memory nobody reads cost a page fault per 4 KiB (a fifth of a 300×300 solve + backward here). It is
// built from the final potentials, the very numbers the solve would have written, on first read.
// (An async solve writes it: building it later would run on the event loop; so does a solve whose plan
// is wanted anyway, planWanted: rebuilding it costs an exp per entry.)
function planMaker(p: SinkhornInput, out: NativeSolveOut): () => FloatArray {
  const planState = out.planState;
  if (planState === undefined) return fail('ERR_OT_VALUE', 'solve: the native solve returned neither a plan nor its state');
  let plan: FloatArray | undefined;
  return () => (plan ??= nativeSolve.sinkhornPlan({ M: p.M.data, n: p.n, m: p.m, planState }));
}

function problem(p: SinkhornInput): SolveProblemFields {
  return { M: p.M.data, a: p.aData, b: p.bData, n: p.n, m: p.m, reg: p.reg, regType: p.regType };
}

/** The forward's own fields: iteration control, unbalanced strengths, warm start. */
function forward(p: SinkhornInput) {
  // An exact side (Infinity) is an absent strength: the addon reads finite numbers only.
  const finite = (x: number | undefined): number | undefined => (x !== undefined && Number.isFinite(x) ? x : undefined);
  return { maxIter: p.maxIter, tol: p.tol, record: p.record, ua: finite(p.ua), ub: finite(p.ub), marginal: p.marginal ?? 'KL', initU: p.initU ?? null };
}

export function sinkhorn(p: SinkhornInput): SinkhornOutput {
  return output(p, nativeSolve.sinkhornSolve({ ...problem(p), ...forward(p), lazyPlan: p.planWanted !== true }));
}

export async function sinkhornAsync(fn: string, p: SinkhornInput, signal: AbortSignal | undefined, progress?: BigInt64Array): Promise<SinkhornOutput> {
  const out = await withCancelFlag(fn, signal, (cancel) =>
    nativeSolve.sinkhornSolveAsync({ ...problem(p), ...forward(p), cancel, progress }),
  );
  return output(p, out);
}

// Never writes into `g`: it may be the caller's own gradOutput.
function values(g: Tensor | null, dtype: DType): FloatArray | null {
  return g === null ? null : g.dtype === dtype ? g.data : g.to(dtype).data;
}

export function sinkhornAdjoint(p: SinkhornInput, out: SinkhornOutput, cot: SinkhornCotangents): SinkhornGrads {
  const saved = out.saved as Saved | null;
  if (saved === null) return fail('ERR_OT_VALUE', 'solve: the forward kept no iterations to differentiate');
  // Freed by an earlier backward: the same forward again (its iterates are a function of the inputs;
  // with several threads their last bits may differ from the first record's).
  const again = saved.history === null ? output(p, nativeSolve.sinkhornSolve({ ...problem(p), ...forward(p), lazyPlan: true })).saved as Saved : saved;
  const history = again.history!;
  const dtype = p.M.dtype;
  const lastStep = p.record === 'last_step';
  try {
    const [dM, da, db] = nativeSolve.sinkhornBackward({
      ...problem(p), history, iterations: again.iterations, directTerms: !lastStep,
      gValue: cot.value, gValueLinear: cot.valueLinear, gPlan: values(cot.plan, dtype), gLogU: values(cot.logU, dtype),
      gLogV: values(cot.logV, dtype), needM: p.M.requiresGrad, lastStep,
    });
    return { dM: dM && new Tensor(dM, [p.n, p.m]), da: new Tensor(da, [p.n]), db: new Tensor(db, [p.m]) };
  } finally {
    nativeSolve.releaseHistory(history);
    saved.history = null;
  }
}

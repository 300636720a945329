// Typed view of the addon's entropic-solver exports (native/napi/solve.cc): one options object per call.
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { EntropicRegType, Status } from '../core/vocabulary.js';

export type { EntropicRegType };
/** What the forward keeps for a backward pass: nothing, every iteration (autodiff), or the last step. */
export type SolveRecord = 'none' | 'history' | 'last_step';
export type SolveStatus = Status;

/** The problem both entry points read: M [n*m], a [n], b [m] — weights always float64. */
export interface SolveProblemFields {
  M: FloatArray;
  a: Float64Array;
  b: Float64Array;
  n: number;
  m: number;
  reg: number;
  regType: EntropicRegType;
}

export interface SinkhornSolveOptions extends SolveProblemFields {
  maxIter: number;
  tol: number;
  record: SolveRecord;
  cancel?: Int32Array;
  /** BigInt64Array of 3 entries over a SharedArrayBuffer: (seq, iteration, error bits), see core/progress.ts. */
  progress?: BigInt64Array;
  /** Unbalanced KL strengths (> 0; Infinity or omitted: exact marginal); record must then be 'none'. */
  ua?: number;
  ub?: number;
  /** The unbalanced penalty (default 'KL'). */
  marginal?: 'KL' | 'TV' | 'L2';
  /** Warm start of the row log-potentials [n]. */
  initU?: Float64Array | null;
  /** Write no plan: return planState, from which sinkhornPlan builds it when it is wanted. */
  lazyPlan?: boolean;
}

/**
 * A forward's recorded log-potentials per iteration (u^0, then v^k, u^k; a last_step record appends the
 * detached v), held natively: only sinkhornBackward reads it, releaseHistory frees it.
 */
export interface SavedHistory {
  readonly __savedHistory: unique symbol;
}

/** Seeds (gradients of the outputs) to pull back through the recorded iterations. */
export interface SinkhornBackwardOptions extends SolveProblemFields {
  /** The forward's handle (or, for checks of the binding, the values as a Float64Array). */
  history: SavedHistory | Float64Array;
  iterations: number;
  /** false for last_step: M in <M, plan> and a, b in the KL reference are constants. */
  directTerms: boolean;
  gValue: number;
  gValueLinear: number;
  gPlan: FloatArray | null;
  gLogU: FloatArray | null;
  gLogV: FloatArray | null;
  needM: boolean;
  lastStep: boolean;
}

/** A lazyPlan forward's final potentials (native, O(n + m)): only sinkhornPlan reads it. */
export interface PlanState {
  readonly __planState: unique symbol;
}

export interface NativeSolveOut {
  /** n*m, M's dtype (absent with lazyPlan). */
  plan?: FloatArray;
  /** With lazyPlan: what sinkhornPlan builds the plan from. */
  planState?: PlanState;
  logU: FloatArray;
  logV: FloatArray;
  value: number;
  valueLinear: number;
  /** POT's log['niter']. */
  nIter: number;
  status: SolveStatus;
  /** The recorded iterations (record 'history' or 'last_step'). */
  history?: SavedHistory;
  /** Iterations held by `history`. */
  iterations: number;
  /** Diagnostics: iterations run in the log domain, absorptions of the scaling path. */
  logIterations: number;
  absorptions: number;
}

export interface NativeSolve {
  sinkhornSolve(options: SinkhornSolveOptions): NativeSolveOut;
  sinkhornSolveAsync(options: SinkhornSolveOptions): Promise<NativeSolveOut>;
  /** Gradients [dM | null (M's dtype), da, db (float64)] of the seeds through the recorded iterations. */
  sinkhornBackward(options: SinkhornBackwardOptions): [FloatArray | null, Float64Array, Float64Array];
  /** The plan of a lazyPlan forward (M as it read it): the numbers it would have written. */
  sinkhornPlan(options: { M: FloatArray; n: number; m: number; planState: PlanState; cancel?: Int32Array }): FloatArray;
  sinkhornPlanAsync(options: { M: FloatArray; n: number; m: number; planState: PlanState; cancel?: Int32Array }): Promise<FloatArray>;
  /** Frees a forward's history now (a later backward given it fails); a no-op for anything else. */
  releaseHistory(history: SavedHistory): void;
}

export const nativeSolve = addon as unknown as NativeSolve;

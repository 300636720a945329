// What ot.solveSample returns: OTResult's fields, where the plan and the potentials may be absent
// (method '1d' gives per-dimension values only; a lazy solve never stores the plan but gives its rows
// on demand through lazyPlan).
import type { Tensor } from '../tensor/tensor.js';
import type { OTResult, SolveStatus } from './result.js';

/** A transport plan that is never stored: rows are recomputed from the samples and potentials when asked. */
export interface LazyPlan {
  /** Plan shape [n, m]. */
  readonly shape: readonly [number, number];
  /** Rows i0 .. i1 - 1 of the plan as a dense [i1 - i0, m] tensor (0 <= i0 < i1 <= n). */
  rows(i0: number, i1: number): Tensor;
}

/** The solution of an OT problem between samples (POT: the OTResult of ot.solve_sample). */
export class SampleResult {
  /** The objective (a scalar; method '1d': one value per dimension). */
  readonly value: Tensor;
  /** The transport cost without the regulariser. */
  readonly valueLinear: Tensor;
  /** The dense plan [n, m]; null for lazy solves (see lazyPlan) and method '1d'. */
  readonly plan: Tensor | null;
  /** The plan's rows on demand for lazy solves; null otherwise. */
  readonly lazyPlan: LazyPlan | null;
  /** As OTResult's; null where the method gives none (method '1d'). */
  readonly potentials: readonly [Tensor, Tensor] | null;
  readonly status: SolveStatus;
  readonly nIter: number;

  constructor(f: {
    value: Tensor; valueLinear: Tensor; plan: Tensor | null; lazyPlan: LazyPlan | null;
    potentials: readonly [Tensor, Tensor] | null; status: SolveStatus; nIter: number;
  }) {
    this.value = f.value;
    this.valueLinear = f.valueLinear;
    this.plan = f.plan;
    this.lazyPlan = f.lazyPlan;
    this.potentials = f.potentials === null ? null : Object.freeze([f.potentials[0], f.potentials[1]] as const);
    this.status = f.status;
    this.nIter = f.nIter;
  }

  /** The dense solve's OTResult, seen as a SampleResult. */
  static of(r: OTResult): SampleResult {
    return new SampleResult({ value: r.value, valueLinear: r.valueLinear, plan: r.plan, potentials: r.potentials, status: r.status, nIter: r.nIter, lazyPlan: null });
  }
}

// BatchResult: what ot.batch.solveBatch returns (POT: the OTResult of ot.batch.solve_batch).
import type { Tensor } from '../tensor/tensor.js';
import type { Status } from '../core/vocabulary.js';

/** How one problem ended: below tol, out of iterations, or non-finite values. */
export type BatchStatus = Status;

/** Result of {@link solveBatch}: one entry per problem along the leading dimension B. */
export class BatchResult {
  /** value [B] — <M_b, plan_b> + reg·R(plan_b), R = Σ T log T (entropy) or KL(T ‖ a bᵀ) (POT: res.value); <M_b, plan_b> when exact. */
  readonly value: Tensor;
  /** valueLinear [B] — <M_b, plan_b>, the transport cost without the regulariser (POT: res.value_linear). */
  readonly valueLinear: Tensor;
  /** plan [B, n, m] — the transport plans (entropic, or exact without reg: built on first read from their supports). */
  get plan(): Tensor {
    if (typeof this.planOrMaker === 'function') this.planOrMaker = this.planOrMaker();
    return this.planOrMaker;
  }
  private planOrMaker: Tensor | (() => Tensor);
  /**
   * POT's potentials: [log u [B, n], log v [B, m]] for the 'log_sinkhorn' solver, and the scalings
   * [f [B, n], g [B, m]] (plan = diag(f) exp(-M/reg) diag(g)) for 'sinkhorn'; for exact problems (no
   * reg) the LP duals [u [B, n], v [B, m]], centred as POT (a·u = b·v).
   */
  readonly potentials: readonly [Tensor, Tensor];
  /** 'diverged' if any problem diverged, else 'max_iter' if any did not reach tol, else 'converged'. */
  readonly status: BatchStatus;
  /** The status of each problem. */
  readonly statusPerProblem: readonly BatchStatus[];
  /**
   * POT's n_iter: the index of the last iteration run (iterations − 1), the same for the whole batch under stopRule 'batch';
   * for exact problems the most network simplex pivots of any problem.
   */
  readonly nIter: number;
  /** n_iter of each problem (they differ only under stopRule 'problem'). */
  readonly nIterPerProblem: Int32Array;

  constructor(fields: {
    value: Tensor; valueLinear: Tensor; plan: Tensor | (() => Tensor); potentials: readonly [Tensor, Tensor];
    statusPerProblem: readonly BatchStatus[]; nIter: number; nIterPerProblem: Int32Array;
  }) {
    this.value = fields.value;
    this.valueLinear = fields.valueLinear;
    this.planOrMaker = fields.plan;
    this.potentials = Object.freeze([...fields.potentials]) as readonly [Tensor, Tensor];
    this.statusPerProblem = Object.freeze([...fields.statusPerProblem]);
    this.status = this.statusPerProblem.includes('diverged') ? 'diverged'
      : this.statusPerProblem.includes('max_iter') ? 'max_iter' : 'converged';
    this.nIter = fields.nIter;
    this.nIterPerProblem = fields.nIterPerProblem;
  }
}

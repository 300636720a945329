// OTResult: what ot.solve returns (POT: ot.utils.OTResult for the entropic and exact solvers).
import type { Tensor } from '../tensor/tensor.js';
import type { Status as SolveStatus } from '../core/vocabulary.js';

export type { SolveStatus };

/** The solution of an OT problem, with POT's field names in camelCase. */
export class OTResult {
  /** <M, plan> + reg * regulariser(plan) (POT's res.value; <M, plan> when exact), a scalar tensor in M's dtype. */
  readonly value: Tensor;
  /** <M, plan>, the transport cost without the regulariser (POT's res.value_linear). */
  readonly valueLinear: Tensor;
  #plan: Tensor | (() => Tensor);
  /**
   * Entropic: dual log-potentials [logU (n), logV (m)], plan = exp(-M/reg + logU[:, None] + logV[None, :]).
   * Exact: the LP duals [u (n), v (m)] (u_i + v_j <= M_ij, equality on the plan's support), centred as POT
   * (a·u = b·v); not unique when the problem is degenerate.
   */
  readonly potentials: readonly [Tensor, Tensor];
  /** 'converged' (marginal error < tol; exact: optimal), 'max_iter' (stopped at maxIter) or 'diverged' (non-finite values). */
  readonly status: SolveStatus;
  /** POT's log['niter']: index of the last iteration run (maxIter for grad 'last_step'); exact: network simplex pivots. */
  readonly nIter: number;

  /** `plan` may be its maker: a solve that left the plan unwritten builds it on first read. */
  constructor(f: { value: Tensor; valueLinear: Tensor; plan: Tensor | (() => Tensor); potentials: readonly [Tensor, Tensor]; status: SolveStatus; nIter: number }) {
    this.value = f.value;
    this.valueLinear = f.valueLinear;
    this.#plan = f.plan;
    this.potentials = Object.freeze([f.potentials[0], f.potentials[1]] as const);
    this.status = f.status;
    this.nIter = f.nIter;
  }

  /** The transport plan [n, m] (built when first read where the solve did not write it). */
  get plan(): Tensor {
    if (typeof this.#plan === 'function') this.#plan = this.#plan();
    return this.#plan;
  }
}

// Solves one chunk of a pairwise job: the chunk's cost matrices in one batched dist call, then one
// native batch of entropic problems (each stopping at its own first check below tol, so a pair's value
// does not depend on which chunk it is in) or, for exact OT, one native batch of network simplex problems.
import { distBatchAsync } from '../batch/dist-batch.js';
import { solveBatchAsync } from '../batch/solve-batch.js';
import type { BatchMetric, Device, Status } from '../core/vocabulary.js';
import type { DType, FloatArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { Measure } from './measures.js';
import type { Chunk } from './plan.js';

/** The solver settings of a job, resolved (see pairwise's options). */
export interface SolverSpec {
  /** Entropic regularisation, or null for exact OT. */
  readonly reg: number | null;
  readonly metric: BatchMetric;
  /** Minkowski exponent. */
  readonly p: number;
  readonly dtype: DType;
  /** Where the chunks are solved ('cuda': one GPU launch per chunk). */
  readonly device: Device;
  readonly maxIter: number;
  readonly tol: number;
}

/** Per pair of a chunk (in the chunk's order): OT value, status and iterations run. */
export interface ChunkResult {
  readonly values: Float64Array;
  readonly status: Status[];
  readonly nIter: Int32Array;
}

function alloc(dtype: DType, len: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(len) : new Float64Array(len);
}

/** Stacks the chunk's row points X [B, n, d], column points Y [B, m, d] and weights (null: all uniform). */
function gather(rows: readonly Measure[], cols: readonly Measure[], c: Chunk, dtype: DType, device: Device) {
  const B = c.pairs.length / 2;
  const { n, m } = c;
  const d = rows[c.pairs[0]!]!.d;
  const X = alloc(dtype, B * n * d);
  const Y = alloc(dtype, B * m * d);
  let weighted = false;
  for (let t = 0; t < B; t++) {
    const mi = rows[c.pairs[2 * t]!]!;
    const mj = cols[c.pairs[2 * t + 1]!]!;
    X.set(mi.x, t * n * d);
    Y.set(mj.x, t * m * d);
    weighted ||= mi.w !== null || mj.w !== null;
  }
  let a: Tensor | undefined;
  let b: Tensor | undefined;
  if (weighted) {
    const aw = alloc(dtype, B * n);
    const bw = alloc(dtype, B * m);
    for (let t = 0; t < B; t++) {
      const mi = rows[c.pairs[2 * t]!]!;
      const mj = cols[c.pairs[2 * t + 1]!]!;
      if (mi.w) aw.set(mi.w, t * n);
      else aw.fill(1 / n, t * n, (t + 1) * n);
      if (mj.w) bw.set(mj.w, t * m);
      else bw.fill(1 / m, t * m, (t + 1) * m);
    }
    a = new Tensor(aw, [B, n]);
    b = new Tensor(bw, [B, m]);
  }
  const on = (t: Tensor): Tensor => (device === 'cpu' ? t : t.to(device));
  return { B, X: on(new Tensor(X, [B, n, d])), Y: on(new Tensor(Y, [B, m, d])), a: a && on(a), b: b && on(b) };
}

/**
 * Solves chunk `c` of a job over `rows` × `cols`. Entropic: POT's batched log-domain Sinkhorn with
 * regType 'KL' (the value ot.solve reports: <M, plan> + reg·KL(plan ‖ a bᵀ)) and stopRule 'problem'.
 */
export async function solveChunk(
  rows: readonly Measure[], cols: readonly Measure[], c: Chunk, spec: SolverSpec, signal?: AbortSignal,
): Promise<ChunkResult> {
  const g = gather(rows, cols, c, spec.dtype, spec.device);
  const M = await distBatchAsync(g.X, g.Y, { metric: spec.metric, p: spec.p, signal });
  // Without reg solveBatch solves each pair exactly (network simplex), as ot.solve without reg would.
  const res = await solveBatchAsync(M, spec.reg === null
    ? { a: g.a, b: g.b, grad: 'detach', maxIter: spec.maxIter, signal }
    : { reg: spec.reg, a: g.a, b: g.b, regType: 'KL', stopRule: 'problem', grad: 'detach', maxIter: spec.maxIter, tol: spec.tol, signal });
  return { values: Float64Array.from(res.value.data), status: [...res.statusPerProblem], nIter: Int32Array.from(res.nIterPerProblem) };
}

// ot.jobs.pairwise: OT values between all pairs of a list of measures (or one list against another),
// solved in chunks of native batches with bounded concurrency, progress and cancellation.
import { checkFiniteNumber, checkInteger, checkOneOf, checkOptions, checkPositive, fail } from '../core/validate.js';
import { BATCH_METRICS, checkMinkowskiP, type BatchMetric, type Device, type Status } from '../core/vocabulary.js';
import type { DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { cudaAvailable } from '../cuda/buffer.js';
import { checkJobMeasures, jobDType, toMeasure, type Measure, type MeasureInput } from './measures.js';
import { planPairs, type Chunk, type JobPlan } from './plan.js';
import { runChunks, type Job, type JobProgress } from './run.js';
import type { ChunkResult, SolverSpec } from './solve-chunk.js';

export type { JobProgress, MeasureInput };

export interface PairwiseOptions {
  /** Entropic regularisation > 0; omitted (and `exact` not false): exact OT, as ot.solve. */
  reg?: number;
  /** Exact OT (ot.solve without reg); true together with reg is an error. */
  exact?: boolean;
  /** Ground cost between points (ot.batch.distBatch's metrics; default 'sqeuclidean'). */
  metric?: BatchMetric;
  /** Minkowski exponent (default 2). */
  p?: number;
  /** A second list: the result is measures × with, [K, K2], every pair solved. */
  with?: readonly MeasureInput[];
  /** Chunks solved at once (default 1: one chunk's native batch already uses every core). */
  concurrency?: number;
  /** Pairs per chunk (one native batch; default 64). Values do not depend on it. */
  chunkSize?: number;
  /** Precision of the solves: default float32 when every x is a float32 Tensor, else float64. */
  dtype?: DType;
  /** Device of the solves (default 'cpu'; 'cuda' needs a CUDA build and GPU). */
  device?: Device;
  /** Sinkhorn iteration cap per pair (default 1000, as ot.solve). */
  maxIter?: number;
  /**
   * Sinkhorn stopping tolerance on the marginal error, checked every 10 iterations per pair
   * (default 1e-9 as ot.solve in float64; 1e-6 in float32, whose rounding keeps the error above 1e-9).
   */
  tol?: number;
  /** Aborting rejects with ERR_OT_ABORTED; chunks in flight stop within a few iterations. */
  signal?: AbortSignal;
  /** Called after each chunk with the entries of the matrix done so far. */
  onProgress?: (p: JobProgress) => void;
}

/** Result of {@link pairwise}: entry (i, j) is OT(measures[i], with[j] or measures[j]). */
export class PairwiseResult {
  /** values [K, K2] (float64) — the OT values (entropic: <M, plan> + reg·KL(plan ‖ a bᵀ), as ot.solve's value). */
  readonly values: Tensor;
  /** status[i][j] — 'converged', 'max_iter' or 'diverged'. */
  readonly status: Status[][];
  /** nIter[i][j] — iterations run (Sinkhorn: the index of the last iteration, POT's n_iter). */
  readonly nIter: number[][];
  constructor(values: Tensor, status: Status[][], nIter: number[][]) {
    this.values = values;
    this.status = status;
    this.nIter = nIter;
  }
}

const KEYS = ['reg', 'exact', 'metric', 'p', 'with', 'concurrency', 'chunkSize', 'dtype', 'device', 'maxIter', 'tol', 'signal', 'onProgress'] as const;

/** Metrics with M(x, y) = M(y, x), for which one list's pairs (i, j) and (j, i) are one problem. */
const SYMMETRIC: readonly BatchMetric[] = ['sqeuclidean', 'euclidean', 'minkowski'];

/** Solver settings as pairwise resolves them (shared with the CLI, which reads them from flags). */
export function resolveSpec(fn: string, opts: PairwiseOptions, dtype: DType): SolverSpec {
  const exact = opts.exact ?? (opts.reg === undefined || opts.reg === null);
  if (exact && opts.reg !== undefined && opts.reg !== null) fail('ERR_OT_ARG', `${fn}: reg and exact: true exclude each other (exact OT has no regularisation)`);
  if (!exact && (opts.reg === undefined || opts.reg === null)) fail('ERR_OT_ARG', `${fn}: exact: false needs reg > 0`);
  const reg = exact ? null : checkPositive(fn, 'reg', opts.reg);
  const mv = opts.metric ?? 'sqeuclidean';
  const metric = checkOneOf(fn, 'metric', typeof mv === 'string' ? mv.toLowerCase() : mv, BATCH_METRICS);
  const p = checkFiniteNumber(fn, 'p', opts.p ?? 2);
  if (metric === 'minkowski') checkMinkowskiP(fn, p);
  // Sinkhorn iterations, or network simplex pivots for exact OT (POT's defaults: 1000, 1e6).
  const maxIter = checkInteger(fn, 'maxIter', opts.maxIter ?? (exact ? 1_000_000 : 1000), 1, 2 ** 31 - 1);
  const tol = checkFiniteNumber(fn, 'tol', opts.tol ?? (dtype === 'float32' ? 1e-6 : 1e-9));
  if (tol < 0) fail('ERR_OT_VALUE', `${fn}: tol must be >= 0, got ${tol}`);
  const device = checkOneOf(fn, 'device', opts.device ?? 'cpu', ['cpu', 'cuda'] as const);
  // Refused up front: every chunk would fail the same way.
  if (device === 'cuda' && !cudaAvailable()) fail('ERR_OT_DEVICE', `${fn}: device 'cuda' needs a usable GPU, and ot.backend() lists none`);
  return { reg, metric, p, dtype, device, maxIter, tol };
}

/** Mirrored when one list is paired with itself under a symmetric metric. */
export function mirrors(spec: SolverSpec, hasWith: boolean): boolean {
  return !hasWith && SYMMETRIC.includes(spec.metric);
}

/** Default chunks in flight: one native batch (entropic or exact) already uses every core. */
export const DEFAULT_CONCURRENCY = 1;

/** A job over checked measures. */
export function makeJob(rows: readonly Measure[], cols: readonly Measure[] | null, spec: SolverSpec, chunkSize: number): Job {
  const plan = planPairs(rows.map((m) => m.n), (cols ?? rows).map((m) => m.n), mirrors(spec, cols !== null), chunkSize);
  return { rows, cols: cols ?? rows, plan, spec };
}

/** The [K, K2] outputs of a job, filled chunk by chunk. */
export class PairwiseMatrix {
  readonly values: Float64Array;
  readonly status: Uint8Array;
  readonly nIter: Int32Array;
  constructor(readonly plan: JobPlan) {
    this.values = new Float64Array(plan.K * plan.K2).fill(Number.NaN);
    this.status = new Uint8Array(plan.K * plan.K2);
    this.nIter = new Int32Array(plan.K * plan.K2);
  }
  /** Writes a chunk's pairs (and their mirror images). */
  put(c: Chunk, r: ChunkResult): void {
    const { K2, mirrored } = this.plan;
    for (let t = 0; t < c.pairs.length / 2; t++) {
      const i = c.pairs[2 * t]!;
      const j = c.pairs[2 * t + 1]!;
      const s = STATUS_CODES[r.status[t]!];
      this.values[i * K2 + j] = r.values[t]!;
      this.status[i * K2 + j] = s;
      this.nIter[i * K2 + j] = r.nIter[t]!;
      if (mirrored) {
        this.values[j * K2 + i] = r.values[t]!;
        this.status[j * K2 + i] = s;
        this.nIter[j * K2 + i] = r.nIter[t]!;
      }
    }
  }
  result(): PairwiseResult {
    const { K, K2 } = this.plan;
    const status: Status[][] = [];
    const nIter: number[][] = [];
    for (let i = 0; i < K; i++) {
      status.push(Array.from(this.status.subarray(i * K2, (i + 1) * K2), (s) => STATUS_NAMES[s]!));
      nIter.push(Array.from(this.nIter.subarray(i * K2, (i + 1) * K2)));
    }
    return new PairwiseResult(new Tensor(this.values, [K, K2]), status, nIter);
  }
}

const STATUS_NAMES: readonly Status[] = ['converged', 'max_iter', 'diverged'];
const STATUS_CODES: Readonly<Record<Status, number>> = { converged: 0, max_iter: 1, diverged: 2 };

function checkList(fn: string, name: string, v: unknown): void {
  if (!Array.isArray(v) || v.length === 0) fail('ERR_OT_ARG', `${fn}: ${name} must be a non-empty array of measures { id?, x, w? }`);
}

function measureList(fn: string, name: string, v: readonly unknown[], dtype: DType): Measure[] {
  return v.map((m, k) => toMeasure((f) => `${fn}: ${name}[${k}]${f ? `.${f}` : ''}`, m, k, dtype));
}

/**
 * OT values between every pair of `measures` (K × K, each unordered pair solved once and mirrored for
 * symmetric metrics; the diagonal is solved too, entropic OT(a, a) > 0), or between `measures` and
 * `opts.with` (K × K2). Pairs of equal sizes are solved as native batches (ot.batch.solveBatch with
 * regType 'KL' and stopRule 'problem'), `concurrency` chunks at a time.
 *
 * Entropic values are those of `ot.solve(M, a, b, { reg, tol })` up to the stopping tolerance: both
 * run log-domain Sinkhorn from zero potentials and stop at the first check (every 10 iterations) whose
 * marginal error is below tol; pairwise updates the row potential first (POT's batch solver), ot.solve
 * the column one (POT's sinkhorn_log), so the two stop at neighbouring iterates of the same fixed point.
 * Values do not depend on chunkSize or concurrency (bitwise).
 * @example
 * const clouds = Array.from({ length: 10 }, (_, k) => ({ x: ot.rand([100, 3], { seed: k, dtype: 'float32' }) }));
 * const { values, status } = await ot.jobs.pairwise(clouds, { reg: 0.05, onProgress: (p) => console.log(p.done, p.total) });
 * values.shape;  // [10, 10]
 */
export async function pairwise(measures: readonly MeasureInput[], opts: PairwiseOptions = {}): Promise<PairwiseResult> {
  const fn = 'pairwise';
  checkOptions(fn, opts, KEYS);
  checkList(fn, 'measures', measures);
  if (opts.with !== undefined && opts.with !== null) checkList(fn, 'with', opts.with);
  const dtype = opts.dtype === undefined ? jobDType([...measures, ...(opts.with ?? [])], undefined) : checkOneOf(fn, 'dtype', opts.dtype, ['float32', 'float64'] as const);
  const spec = resolveSpec(fn, opts, dtype);
  const rows = measureList(fn, 'measures', measures, dtype);
  const cols = opts.with === undefined || opts.with === null ? null : measureList(fn, 'with', opts.with, dtype);
  const all = cols ? [...rows, ...cols] : rows;
  checkJobMeasures(fn, all, dtype, (k) => (k < rows.length ? `measures[${k}]` : `with[${k - rows.length}]`));
  const chunkSize = checkInteger(fn, 'chunkSize', opts.chunkSize ?? 64, 1, 1 << 20);
  const concurrency = checkInteger(fn, 'concurrency', opts.concurrency ?? DEFAULT_CONCURRENCY, 1, 1024);
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') fail('ERR_OT_ARG', `${fn}: onProgress must be a function`);
  const job = makeJob(rows, cols, spec, chunkSize);
  const out = new PairwiseMatrix(job.plan);
  await runChunks(job, { concurrency, signal: opts.signal, onProgress: opts.onProgress, onChunk: (c, r) => out.put(c, r) });
  return out.result();
}

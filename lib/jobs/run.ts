// Runs the chunks of a job with bounded concurrency, reporting progress; the shared engine of
// ot.jobs.pairwise and the CLI (which adds a checkpoint through onChunk and skips finished chunks).
import { OTError } from '../core/errors.js';
import type { Measure } from './measures.js';
import { chunkEntries, type Chunk, type JobPlan } from './plan.js';
import { solveChunk, type ChunkResult, type SolverSpec } from './solve-chunk.js';

/** Progress of a job, in entries of the [K, K2] matrix. */
export interface JobProgress {
  done: number;
  total: number;
  elapsedSeconds: number;
  /** Estimated seconds left (null until something is done). */
  etaSeconds: number | null;
}

/** A job: its measures, its chunks and its solver. */
export interface Job {
  readonly rows: readonly Measure[];
  readonly cols: readonly Measure[];
  readonly plan: JobPlan;
  readonly spec: SolverSpec;
}

export interface RunOptions {
  /** Chunks solved at once. */
  concurrency: number;
  signal?: AbortSignal;
  onProgress?: (p: JobProgress) => void;
  /** Chunks already done (a resumed run): not solved again, counted as done. */
  skip?: ReadonlySet<number>;
  /** Further tries of a chunk whose solve threw (not when aborted); default 0. */
  retries?: number;
  /** Called once per solved chunk, in completion order, before it counts as done. */
  onChunk?: (c: Chunk, r: ChunkResult) => void | Promise<void>;
}

/** Seconds since `t0`, and the estimated time left at `done` of `total` (from the work done in this run). */
export function progressAt(t0: number, done: number, total: number, doneAtStart = 0): JobProgress {
  const elapsedSeconds = (performance.now() - t0) / 1000;
  const ran = done - doneAtStart;
  const etaSeconds = ran > 0 ? (elapsedSeconds / ran) * (total - done) : done >= total ? 0 : null;
  return { done, total, elapsedSeconds, etaSeconds };
}

/** Entries of the [K, K2] matrix (each mirrored pair counts twice). */
export function totalEntries(plan: JobPlan): number {
  return plan.K * plan.K2;
}

/** A chunk that still failed after its retries: names its pairs and the last error. */
export class ChunkFailure extends Error {
  constructor(readonly chunk: Chunk, readonly tries: number, override readonly cause: unknown) {
    super(`chunk ${chunk.index} failed ${tries} time(s), pairs ${describePairs(chunk)}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ChunkFailure';
  }
}

/** "(0, 1), (0, 2), ... (3 more)": the (row, column) pairs of a chunk, shortened for messages. */
export function describePairs(c: Chunk, max = 8): string {
  const B = c.pairs.length / 2;
  const shown = Array.from({ length: Math.min(B, max) }, (_, t) => `(${c.pairs[2 * t]}, ${c.pairs[2 * t + 1]})`);
  return shown.join(', ') + (B > max ? `, ... (${B - max} more)` : '');
}

async function solveWithRetries(job: Job, c: Chunk, opts: RunOptions): Promise<ChunkResult> {
  const tries = 1 + (opts.retries ?? 0);
  let last: unknown;
  for (let k = 0; k < tries; k++) {
    try {
      return await solveChunk(job.rows, job.cols, c, job.spec, opts.signal);
    } catch (e) {
      if (e instanceof OTError && e.code === 'ERR_OT_ABORTED') throw e;
      last = e;
    }
  }
  throw new ChunkFailure(c, tries, last);
}

/** Solves every chunk not in `skip`; rejects with the first failure (after the chunks in flight settle). */
export async function runChunks(job: Job, opts: RunOptions): Promise<void> {
  const { plan } = job;
  const total = totalEntries(plan);
  const t0 = performance.now();
  let done = 0;
  for (const c of plan.chunks) if (opts.skip?.has(c.index)) done += chunkEntries(plan, c);
  const doneAtStart = done;
  const todo = plan.chunks.filter((c) => !opts.skip?.has(c.index));
  let next = 0;
  let failure: unknown = null;
  const lane = async (): Promise<void> => {
    while (failure === null && next < todo.length) {
      if (opts.signal?.aborted) throw new OTError('pairwise: aborted', 'ERR_OT_ABORTED');
      const c = todo[next++]!;
      try {
        const r = await solveWithRetries(job, c, opts);
        await opts.onChunk?.(c, r);
      } catch (e) {
        failure ??= e;
        return;
      }
      done += chunkEntries(plan, c);
      opts.onProgress?.(progressAt(t0, done, total, doneAtStart));
    }
  };
  const lanes = Array.from({ length: Math.min(opts.concurrency, Math.max(1, todo.length)) }, lane);
  const settled = await Promise.allSettled(lanes);
  for (const s of settled) if (s.status === 'rejected') failure ??= s.reason;
  if (failure !== null) throw failure;
  if (todo.length === 0) opts.onProgress?.(progressAt(t0, done, total, doneAtStart));
}

// Submits a pairwise job to the workers: stores its measures in Redis once, enqueues one BullMQ job per
// chunk, follows the results as they are written (progress), and hands back the assembled matrix;
// a chunk that still fails after its attempts ends the job with the pairs and the error named.
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { OTError } from '../../core/errors.js';
import { PairwiseMatrix } from '../pairwise.js';
import { chunkEntries } from '../plan.js';
import { ChunkFailure, progressAt, totalEntries, type Job, type JobProgress } from '../run.js';
import { decodeResult, encodeMeasures } from './codec.js';
import { jobKeys, QUEUE, TTL_SECONDS, type ChunkJobData, type StoredSpec } from './keys.js';

export interface SubmitOptions {
  queue?: string;
  /** Tries per chunk before the job fails (default 3). */
  attempts?: number;
  signal?: AbortSignal;
  onProgress?: (p: JobProgress) => void;
  /** Milliseconds between looks at the results (default 200). */
  pollMs?: number;
}

/** Runs `job` on the workers of `redis`'s queue and resolves with its matrix; rejects with ChunkFailure or ERR_OT_ABORTED. */
export async function submitJob(redis: Redis, job: Job, chunkSize: number, opts: SubmitOptions = {}): Promise<PairwiseMatrix> {
  const id = randomUUID();
  const k = jobKeys(id);
  const name = opts.queue ?? QUEUE;
  const { plan, spec } = job;
  const stored: StoredSpec = {
    version: 1, chunkSize, hasWith: job.cols !== job.rows, chunks: plan.chunks.length,
    spec: { reg: spec.reg, metric: spec.metric, p: spec.p, dtype: spec.dtype, maxIter: spec.maxIter, tol: spec.tol },
  };
  const queue = new Queue<ChunkJobData>(name, { connection: redis });
  const events = new QueueEvents(name, { connection: redis.duplicate() });
  const failures: ChunkFailure[] = [];
  const ours = (jobId: string): number | null => (jobId.startsWith(`${id}-`) ? Number(jobId.slice(id.length + 1)) : null);
  events.on('failed', ({ jobId, failedReason }) => {
    const chunk = ours(jobId);
    if (chunk === null) return;
    // A chunk with attempts left goes back to the queue in the same step; 'failed' here is final.
    void queue.getJobState(jobId).then((state) => {
      if (state === 'failed') failures.push(new ChunkFailure(plan.chunks[chunk]!, opts.attempts ?? 3, new Error(failedReason)));
    });
  });
  try {
    await events.waitUntilReady();
    await redis.multi()
      .set(k.spec, JSON.stringify(stored), 'EX', TTL_SECONDS)
      .set(k.rows, encodeMeasures(job.rows, spec.dtype), 'EX', TTL_SECONDS)
      .set(k.cols, encodeMeasures(job.cols, spec.dtype), 'EX', TTL_SECONDS)
      .exec();
    await queue.addBulk(plan.chunks.map((c) => ({
      name: 'pairwise-chunk', data: { job: id, chunk: c.index },
      opts: { jobId: `${id}-${c.index}`, attempts: opts.attempts ?? 3, backoff: { type: 'fixed', delay: 500 }, removeOnComplete: true, removeOnFail: false },
    })));
    await follow(redis, job, k.results, failures, opts);
    const out = new PairwiseMatrix(plan);
    const all = await redis.hgetallBuffer(k.results);
    for (const [chunk, buf] of Object.entries(all)) out.put(plan.chunks[Number(chunk)]!, decodeResult(buf));
    return out;
  } finally {
    await Promise.allSettled(plan.chunks.map((c) => queue.remove(`${id}-${c.index}`)));
    await redis.del(k.spec, k.rows, k.cols, k.results);
    await events.close();
    await queue.close();
  }
}

/** Waits until every chunk has a result, reporting progress; throws on a final chunk failure or abort. */
async function follow(redis: Redis, job: Job, results: string, failures: ChunkFailure[], opts: SubmitOptions): Promise<void> {
  const { plan } = job;
  const total = totalEntries(plan);
  const t0 = performance.now();
  let lastDone = -1;
  for (;;) {
    if (opts.signal?.aborted) throw new OTError('submit: aborted', 'ERR_OT_ABORTED');
    if (failures.length > 0) throw failures[0];
    const keys = await redis.hkeys(results);
    let done = 0;
    for (const key of keys) done += chunkEntries(plan, plan.chunks[Number(key)]!);
    if (done !== lastDone) {
      opts.onProgress?.(progressAt(t0, done, total));
      lastDone = done;
    }
    if (keys.length === plan.chunks.length) return;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
  }
}

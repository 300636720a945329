// A BullMQ worker for pairwise chunks: loads a submitted job's measures once per job, solves the chunks
// it takes off the event loop (so BullMQ keeps renewing its lock), and writes each chunk's result
// once (HSETNX: a chunk retried after a worker died is never written twice).
import { Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BatchMetric, Device } from '../../core/vocabulary.js';
import type { DType } from '../../tensor/dtype.js';
import { makeJob } from '../pairwise.js';
import type { Job } from '../run.js';
import { solveChunk } from '../solve-chunk.js';
import { decodeMeasures, encodeResult } from './codec.js';
import { jobKeys, QUEUE, type ChunkJobData, type StoredSpec } from './keys.js';

export interface WorkerOptions {
  /** Chunks solved at once by this worker (default 1: one native batch already uses every core). */
  concurrency?: number;
  device?: Device;
  queue?: string;
  /** Milliseconds a chunk's lock lasts without renewal: a dead worker's chunk is retried after about this long (default 30000). */
  lockDuration?: number;
  /** One JSON line per event ({"event": "start" | "done" | "skip" | "failed", "job", "chunk", ...}). */
  log?: (event: Record<string, unknown>) => void;
}

/** Loads (and keeps, for the last few jobs) what chunk solves of a submitted job need. */
class JobCache {
  private readonly jobs = new Map<string, Promise<Job>>();
  constructor(private readonly redis: Redis, private readonly device: Device) {}

  get(id: string): Promise<Job> {
    let p = this.jobs.get(id);
    if (!p) {
      p = this.load(id);
      p.catch(() => this.jobs.delete(id));
      this.jobs.set(id, p);
      if (this.jobs.size > 4) this.jobs.delete(this.jobs.keys().next().value!);
    }
    return p;
  }

  private async load(id: string): Promise<Job> {
    const k = jobKeys(id);
    const [specText, rowsBuf, colsBuf] = await Promise.all([this.redis.get(k.spec), this.redis.getBuffer(k.rows), this.redis.getBuffer(k.cols)]);
    if (specText === null || rowsBuf === null) throw new Error(`job ${id}: its inputs are no longer in Redis (finished or cancelled)`);
    const stored = JSON.parse(specText) as StoredSpec;
    const s = stored.spec;
    const spec = { reg: s.reg, metric: s.metric as BatchMetric, p: s.p, dtype: s.dtype as DType, device: this.device, maxIter: s.maxIter, tol: s.tol };
    const rows = decodeMeasures(rowsBuf);
    const cols = stored.hasWith && colsBuf ? decodeMeasures(colsBuf) : null;
    const job = makeJob(rows, cols, spec, stored.chunkSize);
    if (job.plan.chunks.length !== stored.chunks) throw new Error(`job ${id}: ${job.plan.chunks.length} chunks here but ${stored.chunks} submitted (different versions?)`);
    return job;
  }
}

/** Starts a worker on `redis`; close() it to stop (it finishes the chunks in hand). */
export function startWorker(redis: Redis, opts: WorkerOptions = {}): Worker<ChunkJobData> {
  const cache = new JobCache(redis, opts.device ?? 'cpu');
  const log = opts.log ?? (() => {});
  const lockDuration = opts.lockDuration ?? 30_000;
  const solve = async (bj: BullJob<ChunkJobData>): Promise<string> => {
    const { job: id, chunk } = bj.data;
    const results = jobKeys(id).results;
    if (await redis.hexists(results, String(chunk))) {
      log({ event: 'skip', job: id, chunk, reason: 'already solved' });
      return 'already solved';
    }
    const job = await cache.get(id);
    const c = job.plan.chunks[chunk];
    if (!c) throw new Error(`job ${id} has no chunk ${chunk}`);
    const t0 = performance.now();
    log({ event: 'start', job: id, chunk, attempt: bj.attemptsMade + 1 });
    const r = await solveChunk(job.rows, job.cols, c, job.spec);
    await redis.hsetnx(results, String(chunk), encodeResult(r));
    log({ event: 'done', job: id, chunk, seconds: (performance.now() - t0) / 1000 });
    return 'solved';
  };
  const worker = new Worker<ChunkJobData>(opts.queue ?? QUEUE, solve, {
    connection: redis, concurrency: opts.concurrency ?? 1, lockDuration, stalledInterval: lockDuration,
    // A chunk whose worker died is moved back to the queue up to twice before it counts as failed.
    maxStalledCount: 2,
  });
  worker.on('failed', (bj, err) => log({ event: 'failed', job: bj?.data.job, chunk: bj?.data.chunk, error: err.message }));
  return worker;
}

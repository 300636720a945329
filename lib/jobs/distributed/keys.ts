// Names shared by submitters and workers: the BullMQ queue, the Redis keys of one submitted job, the
// connection to Redis with a clear error when it cannot be reached.
import { Redis } from 'ioredis';
import { fail } from '../../core/validate.js';

/** Default BullMQ queue of pairwise chunks. */
export const QUEUE = 'optimal-transport';

/** Seconds a submitted job's inputs and results stay in Redis if its submitter disappears. */
export const TTL_SECONDS = 7 * 24 * 3600;

/** The Redis keys of submitted job `id`. */
export function jobKeys(id: string) {
  const base = `optimal-transport:job:${id}`;
  return { spec: `${base}:spec`, rows: `${base}:rows`, cols: `${base}:cols`, results: `${base}:results` };
}

/** The data of one BullMQ job: chunk `chunk` of submitted job `job`. */
export interface ChunkJobData {
  job: string;
  chunk: number;
}

/** What a worker needs to rebuild a job's chunks: the solver settings and the chunk size. */
export interface StoredSpec {
  version: 1;
  spec: { reg: number | null; metric: string; p: number; dtype: string; maxIter: number; tol: number };
  chunkSize: number;
  hasWith: boolean;
  chunks: number;
}

/** Connects to `url` (redis:// or rediss://); ERR_OT_ARG when the URL is bad, ERR_OT_VALUE when Redis does not answer. */
export async function connectRedis(url: string): Promise<Redis> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return fail('ERR_OT_ARG', `--redis must be a URL like redis://host:6379, got ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') fail('ERR_OT_ARG', `--redis must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}`);
  // maxRetriesPerRequest null: BullMQ's blocking commands must wait out reconnections.
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null, connectTimeout: 5000 });
  redis.on('error', () => {}); // reconnection errors are retried by ioredis; the first one is reported below
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    fail('ERR_OT_VALUE', `cannot reach Redis at ${url} (${(e as Error).message})`);
  }
  return redis;
}

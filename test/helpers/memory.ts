// RSS measurement for the memory and concurrency tests: a forced full GC, then resident set size.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { addon } from '../../lib/native.js';

export const MiB = 1024 * 1024;

/** global.gc, exposed at run time when node was not started with --expose-gc. */
function exposeGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const gc = exposeGc();

/**
 * RSS after a few full collections, so freed buffers are not counted, less the memory the addon keeps
 * for reuse by later results (native/napi/block_cache.h): held on purpose, bounded, not a leak.
 */
export function settle(): number {
  for (let k = 0; k < 4; k++) gc();
  const { retainedBytes } = addon.backendInfo() as { retainedBytes: number };
  return process.memoryUsage().rss - retainedBytes;
}

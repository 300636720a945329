// RSS measurement for the memory and concurrency tests: a forced full GC, then resident set size.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const MiB = 1024 * 1024;

/** global.gc, exposed at run time when node was not started with --expose-gc. */
function exposeGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const gc = exposeGc();

/** RSS after a few full collections, so freed buffers are not counted. */
export function settle(): number {
  for (let k = 0; k < 4; k++) gc();
  return process.memoryUsage().rss;
}

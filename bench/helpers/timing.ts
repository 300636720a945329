// Timing for the benchmarks, the way a user measures: the first (cold) call timed on its own, then
// the median of N timed runs after it (warm), in wall time and in the CPU time of all of this
// process's threads. Sync and async (Promise-returning) workloads alike.

/** Median of a list (the mean of the two middle values for an even count; NaN when empty). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

export interface Timing {
  /** Median wall time of the timed runs, ms (the headline figure). */
  ms: number;
  /** Wall time of the first call (the cold run: JIT, first-touch pages, thread start-up), ms. */
  coldMs: number;
  /** Fastest timed run, ms: on a shared machine the least disturbed one. */
  minMs: number;
  /** Median CPU time of the timed runs over all threads, ms (less sensitive than wall time to other load). */
  cpuMs: number;
  /** Wall time of every timed run, ms. */
  samples: number[];
}

/**
 * Runs `fn` `warmup` times untimed (JIT, caches, the thread pool), then `trials` timed runs.
 * @example
 *   const { ms, cpuMs } = measure(() => void ot.dist(x, y), { trials: 10 });
 */
export function measure(fn: () => void, opts: { trials: number; warmup?: number }): Timing {
  let coldMs = NaN;
  for (let w = 0; w < (opts.warmup ?? 1); w++) {
    const t0 = process.hrtime.bigint();
    fn();
    if (w === 0) coldMs = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let t = 0; t < opts.trials; t++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    fn();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e3);
  }
  return { ms: median(wall), coldMs, minMs: Math.min(...wall), cpuMs: median(cpu), samples: wall };
}

/**
 * measure() for a workload that returns a Promise: each run is awaited before the next starts.
 * @example
 *   const t = await measureAsync(() => Promise.all(Ms.map((M) => ot.solveAsync(M, { reg }))), { trials: 10 });
 */
export async function measureAsync(fn: () => Promise<unknown>, opts: { trials: number; warmup?: number }): Promise<Timing> {
  let coldMs = NaN;
  for (let w = 0; w < (opts.warmup ?? 1); w++) {
    const t0 = process.hrtime.bigint();
    await fn();
    if (w === 0) coldMs = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let t = 0; t < opts.trials; t++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await fn();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e3);
  }
  return { ms: median(wall), coldMs, minMs: Math.min(...wall), cpuMs: median(cpu), samples: wall };
}

/**
 * Median wall time (ms) of `trials` runs of `fn` after one warm-up run.
 * @example
 *   const ms = timeMs(10, () => void ot.solve(M, a, b, { reg: 0.03 }));
 */
export function timeMs(trials: number, fn: () => void): number {
  return measure(fn, { trials }).ms;
}

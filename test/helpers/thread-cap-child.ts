// Child process of thread-cap.test.ts (run with OT_NUM_THREADS=2): the most threads this process had
// beyond its idle baseline while (1) one large solveAsync ran alone and (2) eight ran at once. Prints
// one JSON line { alone, concurrent } (Linux: /proc/self/status).
import { readFileSync } from 'node:fs';
import * as ot from '../../lib/index.js';

function threads(): number {
  return Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
}

// The most threads seen (polled every millisecond) while `work` runs, minus `base`.
async function peakExtra(base: number, work: () => Promise<unknown>): Promise<number> {
  let peak = threads();
  const timer = setInterval(() => void (peak = Math.max(peak, threads())), 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, threads()) - base;
}

async function main(): Promise<void> {
  process.emitWarning = () => undefined;  // the short warm-up solves stop at maxIter on purpose
  const n = 700;
  const M = ot.dist(ot.rand([n, 3], { seed: 1, dtype: 'float32' }), ot.rand([n, 3], { seed: 2, dtype: 'float32' }));
  const opts = { reg: 0.005, maxIter: 400, tol: 0 };
  // Start every libuv pool thread (4) once, so the baseline holds them.
  await Promise.all(Array.from({ length: 8 }, () => ot.solveAsync(M, { reg: 1, maxIter: 2 })));
  const base = threads();
  const alone = await peakExtra(base, () => ot.solveAsync(M, opts));
  const concurrent = await peakExtra(base, () => Promise.all(Array.from({ length: 8 }, () => ot.solveAsync(M, opts))));
  console.log(JSON.stringify({ alone, concurrent }));
}

void main();

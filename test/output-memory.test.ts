// Memory of the addon's results (native/napi/util.cc newFloatArray, block_cache.h): small results are
// V8's own arrays; large ones are kept once collected and handed out again, zero-filled, so repeated
// calls of one size reuse their pages.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { addon } from '../lib/native.js';
import { settle } from './helpers/memory.js';

const retained = (): number => (addon.backendInfo() as { retainedBytes: number }).retainedBytes;
// Collected external arrays give their memory back from a later turn of the event loop (V8 frees
// backing stores on a background thread, which then queues the finalizer): collect and wait (at most
// 2 s) until `done` holds.
const collect = async (done: () => boolean = () => false): Promise<void> => {
  for (let k = 0; k < 100; k++) {
    settle();
    await new Promise((r) => setTimeout(r, 20));
    if (done()) return;
  }
};

// A gradient the native adjoint accumulates into freshly made arrays: wrong if a reused block kept old values.
function gradient(seed: number): Float32Array {
  const M = ot.rand([2, 300, 280], { seed, dtype: 'float32', requiresGrad: true });
  ot.batch.solveBatch(M, { reg: 0.1, grad: 'autodiff', maxIter: 30, tol: 0 }).value.sum().backward();
  return Float32Array.from(M.grad!.data);
}

describe('result memory', () => {
  it('keeps the blocks of collected results and reuses them; results made in reused memory are exact', async () => {
    // Small results (V8's own arrays, reused once collected): other values through the same sizes first.
    const first = gradient(1);
    for (let k = 0; k < 3; k++) gradient(2 + k);
    await collect(() => true);
    expect(gradient(1)).toEqual(first);
    // Large results (a mapping of their own): a 4000×1200 float64 cost matrix (37 MiB), made, dropped, made again.
    const x = ot.rand([4000, 3], { seed: 7 });
    const y = ot.rand([1200, 3], { seed: 8 });
    const M1 = Float64Array.from(ot.dist(x, y).data);
    await collect(() => retained() >= 4000 * 1200 * 8);
    const kept = retained();
    expect(kept).toBeGreaterThanOrEqual(4000 * 1200 * 8);
    expect(ot.dist(x, y).data).toEqual(M1);
    expect(retained()).toBeLessThan(kept);
  });
});

// Memory stays flat over many solves: 10,000 solves of mixed sizes (5..60, some 200), in every grad
// mode with backward passes, sync and async. RSS after a warm-up is compared with RSS at the end.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';
import { MiB, settle } from './helpers/memory.js';


interface Problem {
  M: ot.Tensor;
  a: ot.Tensor;
  b: ot.Tensor;
}

// A pool of problems (building them is not what is measured); sizes 5..60 and 200.
function pool(): Problem[] {
  const out: Problem[] = [];
  for (let k = 0; k < 48; k++) {
    const big = k % 16 === 15;
    const n = big ? 200 : 5 + ((k * 37) % 56);
    const m = big ? 200 : 5 + ((k * 53) % 56);
    const dtype: ot.DType = k % 2 === 0 ? 'float32' : 'float64';
    const x = ot.rand([n, 3], { seed: k, dtype });
    const y = ot.rand([m, 3], { seed: 1000 + k, dtype });
    out.push({ M: ot.dist(x, y), a: ot.unif(n), b: ot.unif(m) });
  }
  return out;
}

const GRADS = ['detach', 'autodiff', 'envelope', 'last_step'] as const;

/** Solve i of the run: the mode, sync or async and the problem vary with i. */
async function solveOne(problems: Problem[], i: number): Promise<void> {
  const p = problems[i % problems.length]!;
  const grad = GRADS[i % GRADS.length]!;
  const M = grad === 'detach' ? p.M : p.M.detach().requiresGrad_(true);
  const opts = { reg: 0.05, grad, maxIter: 200 };
  const res = i % 5 === 4 ? await ot.solveAsync(M, p.a, p.b, opts) : ot.solve(M, p.a, p.b, opts);
  if (grad !== 'detach') res.value.backward();
  if (i % 97 === 0) {
    // Batched problems and cost matrices too, now and then.
    const X = ot.rand([4, 30, 2], { seed: i });
    ot.batch.solveBatch(ot.batch.distBatch(X, X), { reg: 0.1, maxIter: 50 });
  }
}

let warn: ReturnType<typeof vi.spyOn>;
beforeAll(() => {
  warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
});
afterAll(() => warn.mockRestore());

describe('memory', () => {
  it('10,000 solves of mixed sizes keep RSS flat', async () => {
    const problems = pool();
    for (let i = 0; i < 1000; i++) await solveOne(problems, i);
    const before = settle();
    const external0 = process.memoryUsage().arrayBuffers;
    const t0 = Date.now();
    for (let i = 0; i < 10_000; i++) await solveOne(problems, i);
    const seconds = (Date.now() - t0) / 1000;
    const after = settle();
    const external1 = process.memoryUsage().arrayBuffers;
    console.log(
      `memory: 10,000 solves in ${seconds.toFixed(1)} s; RSS ${(before / MiB).toFixed(1)} MiB after warm-up, ` +
        `${(after / MiB).toFixed(1)} MiB at the end (${((after - before) / MiB).toFixed(1)} MiB); ` +
        `array buffers ${(external0 / MiB).toFixed(1)} -> ${(external1 / MiB).toFixed(1)} MiB`,
    );
    expect(after - before).toBeLessThan(64 * MiB);
    expect(external1 - external0).toBeLessThan(16 * MiB);
  });

  it('errors on the native boundary leak nothing either', () => {
    const M = ot.rand([50, 50], { seed: 1 });
    const bad = ot.tensor(new Float64Array(50).fill(1 / 40));
    const Mnan = ot.tensor(new Float64Array(2500).fill(NaN), { shape: [50, 50] });
    expect(() => ot.solve(M, bad, undefined, { reg: 0.1 })).toThrow(ot.OTError);
    expect(() => ot.solve(Mnan, undefined, undefined, { reg: 0.1 })).toThrow(ot.OTError);
    const refuse = (count: number): void => {
      for (let i = 0; i < count; i++) {
        try {
          // Refused in the facade (masses differ), then in the native layer (NaN in M).
          if (i % 2 === 0) ot.solve(M, bad, undefined, { reg: 0.1 });
          else ot.solve(Mnan, undefined, undefined, { reg: 0.1 });
        } catch {
          // expected
        }
      }
    };
    // Warm-up to steady state (the JIT, and under ASan its allocator caches), then measure.
    refuse(20_000);
    const before = settle();
    refuse(20_000);
    const after = settle();
    expect(after - before).toBeLessThan(32 * MiB);
  });
});

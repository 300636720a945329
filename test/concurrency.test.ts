// Concurrency of the async solver: many solves in flight give the sync results, an abort rejects with
// ERR_OT_ABORTED within a few iterations and frees the solve's memory, and the event loop keeps
// ticking while a large solve runs on the thread pool.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';
import { MiB, settle } from './helpers/memory.js';

const log: string[] = [];

let warn: ReturnType<typeof vi.spyOn>;
beforeAll(() => {
  warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
});
afterAll(() => {
  warn.mockRestore();
  console.log(log.join('\n'));
});

function problem(n: number, m: number, seed: number, dtype: ot.DType = 'float64') {
  const x = ot.rand([n, 4], { seed, dtype });
  const y = ot.rand([m, 4], { seed: seed + 1, dtype });
  return { M: ot.dist(x, y), a: ot.unif(n), b: ot.unif(m) };
}

/** Largest |x - y| relative to the largest |y| (0 when bitwise equal). */
function relDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    d = Math.max(d, Math.abs(x[i]! - y[i]!));
    s = Math.max(s, Math.abs(y[i]!));
  }
  return d / Math.max(s, 1e-300);
}

function bitwiseEqual(x: ArrayLike<number>, y: ArrayLike<number>): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

describe('concurrent solveAsync', () => {
  it('100 concurrent solves of mixed sizes give the sync results', async () => {
    const cases = Array.from({ length: 100 }, (_, k) => {
      const n = k % 10 === 9 ? 300 : 5 + ((k * 41) % 120);
      const m = k % 10 === 9 ? 250 : 5 + ((k * 67) % 120);
      const reg = [0.01, 0.05, 0.2][k % 3]!;
      return { ...problem(n, m, 10 * k, k % 4 === 3 ? 'float32' : 'float64'), reg };
    });
    const sync = cases.map((c) => ot.solve(c.M, c.a, c.b, { reg: c.reg }));
    const t0 = performance.now();
    const async = await Promise.all(cases.map((c) => ot.solveAsync(c.M, c.a, c.b, { reg: c.reg })));
    const ms = performance.now() - t0;
    let bitwise = 0;
    let worst = 0;
    for (let k = 0; k < cases.length; k++) {
      const s = sync[k]!;
      const r = async[k]!;
      expect(r.status).toBe(s.status);
      expect(r.nIter).toBe(s.nIter);
      const same = bitwiseEqual(r.plan.data, s.plan.data) && Object.is(r.value.item(), s.value.item());
      if (same) bitwise++;
      const d = Math.max(relDiff(r.plan.data, s.plan.data), relDiff(r.potentials[0].data, s.potentials[0].data),
        relDiff([r.value.item()], [s.value.item()]));
      worst = Math.max(worst, d);
      expect(d, `case ${k}`).toBeLessThanOrEqual(r.plan.dtype === 'float64' ? 1e-12 : 1e-6);
    }
    log.push(`concurrency: 100 concurrent solveAsync in ${ms.toFixed(0)} ms; ${bitwise}/100 bitwise equal to sync, worst relative difference ${worst.toExponential(2)}`);
  });

  it('concurrent solves of one shared problem do not disturb each other', async () => {
    const { M, a, b } = problem(150, 140, 7);
    const ref = ot.solve(M, a, b, { reg: 0.05 });
    const all = await Promise.all(Array.from({ length: 32 }, () => ot.solveAsync(M, a, b, { reg: 0.05 })));
    for (const r of all) expect(relDiff(r.plan.data, ref.plan.data)).toBeLessThanOrEqual(1e-12);
  });
});

describe('abort', () => {
  it('an aborted large solve rejects with ERR_OT_ABORTED within a few iterations', async () => {
    const { M, a, b } = problem(1500, 1500, 11);
    // Time per iteration on this machine: a short fixed-count solve (tol 0 never stops early).
    const t0 = performance.now();
    ot.solve(M, a, b, { reg: 0.001, maxIter: 20, tol: 0, grad: 'detach' });
    const perIter = (performance.now() - t0) / 20;
    const latencies: number[] = [];
    for (let k = 0; k < 3; k++) {
      const ac = new AbortController();
      const p = ot.solveAsync(M, a, b, { reg: 0.001, maxIter: 100_000, tol: 0, signal: ac.signal });
      await new Promise((r) => setTimeout(r, 150));
      const tAbort = performance.now();
      ac.abort();
      await expect(p).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
      latencies.push(performance.now() - tAbort);
    }
    const worst = Math.max(...latencies);
    log.push(`abort: 1500x1500, ${perIter.toFixed(1)} ms per iteration; abort -> rejection ${latencies.map((l) => l.toFixed(1)).join(', ')} ms`);
    // A few iterations, plus the event-loop turn that settles the promise; generous because other
    // test files share the 2 CI cores (an ignored abort would run 100,000 iterations).
    expect(worst).toBeLessThan(10 * perIter + 150);
  });

  it('repeated aborts free the solves\' memory', async () => {
    const { M, a, b } = problem(1000, 1000, 12);
    const abortOnce = async (): Promise<void> => {
      const ac = new AbortController();
      const p = ot.solveAsync(M, a, b, { reg: 0.001, maxIter: 100_000, tol: 0, grad: 'autodiff', signal: ac.signal });
      await new Promise((r) => setTimeout(r, 20));
      ac.abort();
      await expect(p).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    };
    for (let k = 0; k < 3; k++) await abortOnce();
    const before = settle();
    for (let k = 0; k < 30; k++) await abortOnce();
    const after = settle();
    log.push(`abort memory: RSS ${(before / MiB).toFixed(1)} MiB -> ${(after / MiB).toFixed(1)} MiB over 30 aborted 1000x1000 solves`);
    // Each solve holds ~24 MiB (kernel, plan): a leak of even one per abort would show.
    expect(after - before).toBeLessThan(48 * MiB);
  });

  it('an already-aborted signal rejects at once, and a finished solve ignores a later abort', async () => {
    const { M, a, b } = problem(50, 40, 13);
    const ac = new AbortController();
    ac.abort();
    await expect(ot.solveAsync(M, a, b, { reg: 0.1, signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    const ac2 = new AbortController();
    const res = await ot.solveAsync(M, a, b, { reg: 0.1, signal: ac2.signal });
    ac2.abort();
    expect(res.status).toBe('converged');
  });
});

describe('inputs changed while a solve runs', () => {
  it('transferring (detaching) an input buffer during solveAsync neither crashes nor changes the result', async () => {
    const { M, a, b } = problem(600, 500, 15);
    const ref = ot.solve(M, a, b, { reg: 0.01, maxIter: 200, tol: 0, grad: 'detach' });
    const Mc = M.clone().detach();
    const p = ot.solveAsync(Mc, a, b, { reg: 0.01, maxIter: 200, tol: 0, grad: 'detach' });
    await new Promise((r) => setTimeout(r, 5));
    // Moves the backing store away (as posting it to a worker with a transfer list would), then lets
    // the GC free it and reuses the memory.
    // The clone is dropped at once: nothing keeps the moved memory alive.
    const data = Mc.data;
    void structuredClone(data.buffer as ArrayBuffer, { transfer: [data.buffer as ArrayBuffer] });
    expect(data.byteLength).toBe(0);
    // The tensor itself now refuses its lost storage.
    expect(() => Mc.data).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
    settle();
    for (let k = 0; k < 8; k++) new Float64Array(600 * 500).fill(1e300);
    const res = await p;
    expect(relDiff(res.plan.data, ref.plan.data)).toBeLessThanOrEqual(1e-12);
  });

  it('writing into the inputs during solveAsync does not reach the running solve', async () => {
    const { M, a, b } = problem(400, 400, 16);
    const ref = ot.solve(M, a, b, { reg: 0.02, maxIter: 100, tol: 0, grad: 'detach' });
    const Mc = M.clone().detach();
    const p = ot.solveAsync(Mc, a, b, { reg: 0.02, maxIter: 100, tol: 0, grad: 'detach' });
    Mc.data.fill(Number.NaN);
    const res = await p;
    expect(relDiff(res.plan.data, ref.plan.data)).toBeLessThanOrEqual(1e-12);
  });
});

describe('event loop', () => {
  it('keeps ticking while a 2000x2000 solveAsync runs', async () => {
    const { M, a, b } = problem(2000, 2000, 14, 'float32');
    let maxLag = 0;
    let ticks = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      maxLag = Math.max(maxLag, now - last - 5);
      last = now;
      ticks++;
    }, 5);
    const t0 = performance.now();
    const res = await ot.solveAsync(M, a, b, { reg: 0.01, maxIter: 300, tol: 0 });
    const ms = performance.now() - t0;
    clearInterval(timer);
    log.push(`event loop: 2000x2000 solveAsync took ${ms.toFixed(0)} ms; ${ticks} timer ticks, max lag ${maxLag.toFixed(1)} ms`);
    expect(res.status).toBe('max_iter');
    // A blocked loop would show one tick and a lag of the whole solve; other test files share the
    // cores, so the bounds leave room for scheduling noise.
    expect(ticks).toBeGreaterThan(ms / 5 / 10);
    // The main thread only validates and allocates; sanitizer builds (scripts/test-asan.sh) run that
    // instrumented, several times slower.
    expect(maxLag).toBeLessThan(process.env.OT_SANITIZED ? 300 : Math.max(100, ms / 4));
  });
});

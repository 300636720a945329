// ot.batch: solveBatch against POT's solve_batch fixtures (both solvers, both dtypes), POT's stopping rule,
// per-problem independence, gradients vs finite differences, async parity and abort, bad input;
// distBatch against ot.dist and a JS reference, with gradients.
import { describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';
import { nativeBatch } from '../lib/backend/native-batch.js';
import { expectClose, flat, loadFixture, tolerance } from './helpers/fixtures.js';

const fixture = loadFixture('batch');
type DType = 'float32' | 'float64';

function randomProblem(B: number, n: number, m: number, seed: number, dtype: DType = 'float64') {
  const M = ot.rand([B, n, m], { seed, dtype });
  const ra = ot.rand([B, n], { seed: seed + 1 }).data;
  const rb = ot.rand([B, m], { seed: seed + 2 }).data;
  const norm = (r: ArrayLike<number>, len: number): number[][] =>
    Array.from({ length: B }, (_, k) => {
      const row = Array.from({ length: len }, (_, i) => r[k * len + i]! + 0.2);
      const s = row.reduce((x, y) => x + y, 0);
      return row.map((v) => v / s);
    });
  return { M, a: ot.tensor(norm(ra, n), { dtype }), b: ot.tensor(norm(rb, m), { dtype }) };
}

async function expectOTError(p: Promise<unknown> | (() => unknown), code: string, pattern?: RegExp): Promise<void> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an OTError').toBeInstanceOf(ot.OTError);
  expect((err as ot.OTError).code).toBe(code);
  if (pattern) expect((err as Error).message).toMatch(pattern);
}

describe('solveBatch: POT fixtures', () => {
  for (const c of fixture.cases) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`solveBatch ${c.solver} ${c.B}x${c.n}x${c.m} reg=${c.reg} ${dtype}`, () => {
        const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
        const res = ot.batch.solveBatch(ot.tensor(c.M, { dtype }), {
          reg: c.reg, a: ot.tensor(c.a, { dtype }), b: ot.tensor(c.b, { dtype }),
          maxIter: 10000, tol: 1e-10, solver: c.solver, regType: c.reg_type,
        });
        warn.mockRestore();
        const tol = tolerance(dtype);
        expect(res.plan.shape).toEqual([c.B, c.n, c.m]);
        expect(res.plan.dtype).toBe(dtype);
        expectClose(res.value.data, c.value, tol, 'value');
        expectClose(res.valueLinear.data, c.value_linear, tol, 'valueLinear');
        expectClose(res.plan.data, c.plan, tol, 'plan');
        if (dtype === 'float64') expect(res.status).toBe('converged');
      });
    }
  }
});

describe('solveBatch: semantics', () => {
  it('plans have the requested marginals, per problem', () => {
    const { M, a, b } = randomProblem(6, 9, 7, 10);
    for (const solver of ['log_sinkhorn', 'sinkhorn'] as const) {
      const res = ot.batch.solveBatch(M, { reg: 0.1, a, b, tol: 1e-12, maxIter: 100000, solver });
      expect(res.status).toBe('converged');
      expectClose(res.plan.sum(2).data, a.data, { rel: 1e-9, abs: 1e-12 }, `${solver} rows`);
      expectClose(res.plan.sum(1).data, b.data, { rel: 1e-9, abs: 1e-12 }, `${solver} columns`);
      const lin = res.plan.mul(M).sum(2).sum(1);
      expectClose(res.valueLinear.data, lin.data, { rel: 1e-12, abs: 0 }, 'valueLinear = <M, plan>');
    }
  });

  it('log_sinkhorn and sinkhorn agree, and potentials rebuild the plan', () => {
    const { M, a, b } = randomProblem(3, 8, 5, 20);
    const reg = 0.2;
    const lg = ot.batch.solveBatch(M, { reg, a, b, tol: 1e-13, maxIter: 100000 });
    const sc = ot.batch.solveBatch(M, { reg, a, b, tol: 1e-13, maxIter: 100000, solver: 'sinkhorn' });
    expectClose(lg.value.data, sc.value.data, { rel: 1e-9, abs: 0 }, 'value');
    const [lu, lv] = lg.potentials;
    const [f, g] = sc.potentials;
    const [B, n, m] = [3, 8, 5];
    for (let k = 0; k < B; k++) for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
      const idx = (k * n + i) * m + j;
      const fromLog = Math.exp(-M.data[idx]! / reg + lu.data[k * n + i]! + lv.data[k * m + j]!);
      const fromScal = Math.exp(-M.data[idx]! / reg) * f.data[k * n + i]! * g.data[k * m + j]!;
      expect(fromLog).toBeCloseTo(lg.plan.data[idx]!, 14);
      expect(fromScal / sc.plan.data[idx]!).toBeCloseTo(1, 12);
    }
  });

  it('uses POT defaults: maxIter 1000, tol 1e-5, log_sinkhorn, entropy, envelope gradient', () => {
    const { M } = randomProblem(4, 6, 6, 30);
    const dflt = ot.batch.solveBatch(M, { reg: 0.1 });
    const explicit = ot.batch.solveBatch(M, { reg: 0.1, maxIter: 1000, tol: 1e-5, solver: 'log_sinkhorn', regType: 'entropy' });
    expect(Array.from(dflt.value.data)).toEqual(Array.from(explicit.value.data));
    expect(dflt.nIter % 10).toBe(0); // POT checks after iterations 0, 10, 20, ...
    const Mg = M.clone().detach().requiresGrad_(true);
    const res = ot.batch.solveBatch(Mg, { reg: 0.1 });
    expect(res.value.requiresGrad).toBe(true);
    expect(res.plan.requiresGrad).toBe(false);
  });

  it("stopRule 'batch' runs every problem to the batch's checkpoint; 'problem' (the default) stops each at its own", () => {
    const { M, a, b } = randomProblem(8, 10, 10, 40);
    // Mixed difficulty: problem 0 gets a much smaller effective reg (larger costs).
    const Md = M.data.slice();
    for (let k = 0; k < 100; k++) Md[k] = Md[k]! * 8;
    const Mx = ot.tensor(Md, { shape: [8, 10, 10] });
    const batch = ot.batch.solveBatch(Mx, { reg: 0.1, a, b, tol: 1e-9, stopRule: 'batch' });
    const each = ot.batch.solveBatch(Mx, { reg: 0.1, a, b, tol: 1e-9 });
    expect(new Set(batch.nIterPerProblem).size).toBe(1);
    expect(batch.nIter).toBe(batch.nIterPerProblem[0]);
    expect(Math.max(...each.nIterPerProblem)).toBe(batch.nIter);
    expect(Math.min(...each.nIterPerProblem)).toBeLessThan(batch.nIter);
    expectClose(each.value.data, batch.value.data, { rel: 1e-7, abs: 0 }, 'values within tolerance');
    // Each problem alone equals its slice of the per-problem run bit for bit.
    for (let k = 0; k < 8; k++) {
      const one = ot.batch.solveBatch(ot.tensor(Md.slice(k * 100, (k + 1) * 100), { shape: [1, 10, 10] }), {
        reg: 0.1, a: ot.tensor([Array.from(a.data.slice(k * 10, k * 10 + 10))]), b: ot.tensor([Array.from(b.data.slice(k * 10, k * 10 + 10))]), tol: 1e-9,
      });
      expect(one.nIter).toBe(each.nIterPerProblem[k]);
      expect(one.value.item()).toBe(each.value.data[k]);
      expect(Array.from(one.plan.data)).toEqual(Array.from(each.plan.data.subarray(k * 100, (k + 1) * 100)));
    }
  });

  it('the fast log solver and the recorded log-domain path agree on hard problems (small reg, zero weights)', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    for (const reg of [0.5, 0.01, 0.001]) {
      const { M, a, b } = randomProblem(4, 12, 9, 140);
      const ad = a.data.slice();
      const bd = b.data.slice();
      for (let k = 0; k < 4; k++) {
        const da = ad[k * 12 + 2]!;
        ad[k * 12 + 2] = 0;
        ad[k * 12 + 3]! += da;
        const db = bd[k * 9 + 4]!;
        bd[k * 9 + 4] = 0;
        bd[k * 9 + 5]! += db;
      }
      const opts = { reg, a: ot.tensor(ad, { shape: [4, 12] }), b: ot.tensor(bd, { shape: [4, 9] }), maxIter: 2000, tol: 1e-9 };
      // 'detach' runs the absorbed-kernel iterations; 'autodiff' the plain log-domain ones it records.
      const fast = ot.batch.solveBatch(M, { ...opts, grad: 'detach' });
      const slow = ot.batch.solveBatch(M.clone().detach().requiresGrad_(true), { ...opts, grad: 'autodiff' });
      expect(fast.nIter).toBe(slow.nIter);
      expectClose(fast.plan.data, slow.plan.data, { rel: 1e-11, abs: 0 }, `plan reg=${reg}`);
      expectClose(fast.value.data, slow.value.data, { rel: 1e-11, abs: 0 }, `value reg=${reg}`);
      for (let k = 0; k < 4; k++) for (let j = 0; j < 9; j++) expect(fast.plan.data[(k * 12 + 2) * 9 + j]).toBe(0);
    }
    warn.mockRestore();
  });

  it("a problem's results depend only on its data and iteration count, not on batch order or thread timing", () => {
    const { M, a, b } = randomProblem(16, 10, 8, 150);
    const Md = M.data.slice();
    for (let k = 0; k < 80; k++) Md[5 * 80 + k] = Md[5 * 80 + k]! * 6; // one slow problem sets the batch's stop
    const perm = Array.from({ length: 16 }, (_, k) => (k * 7 + 3) % 16);
    const pick = (src: ArrayLike<number>, per: number, order: number[]) =>
      Float64Array.from(order.flatMap((k) => Array.from(src).slice(k * per, (k + 1) * per)));
    for (const solver of ['log_sinkhorn', 'sinkhorn'] as const) {
      const opts = { reg: 0.1, tol: 1e-9, solver };
      const base = ot.batch.solveBatch(ot.tensor(Md, { shape: [16, 10, 8] }), { ...opts, a, b });
      const shuffled = ot.batch.solveBatch(ot.tensor(pick(Md, 80, perm), { shape: [16, 10, 8] }), {
        ...opts, a: ot.tensor(pick(a.data, 10, perm), { shape: [16, 10] }), b: ot.tensor(pick(b.data, 8, perm), { shape: [16, 8] }),
      });
      expect(shuffled.nIter).toBe(base.nIter);
      perm.forEach((k, pos) => {
        expect(shuffled.value.data[pos]).toBe(base.value.data[k]);
        expect(Array.from(shuffled.plan.data.subarray(pos * 80, pos * 80 + 80))).toEqual(Array.from(base.plan.data.subarray(k * 80, k * 80 + 80)));
      });
    }
  });

  it('a plan built on read (no recorded trace) equals the one the recorded solve returns, and value = <M, T> + reg Σ T log T', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      for (const solver of ['log_sinkhorn', 'sinkhorn'] as const) {
        for (const regType of ['entropy', 'kl'] as const) {
          const M = ot.rand([4, 9, 7], { seed: 3, dtype });
          const opts = { reg: 0.1, solver, regType, maxIter: 40, tol: 0 };
          const lazy = ot.batch.solveBatch(M, { ...opts, grad: 'detach' });
          const recorded = ot.batch.solveBatch(M.clone().requiresGrad_(true), { ...opts, grad: 'autodiff' });
          const close = dtype === 'float64' ? 1e-12 : 1e-5;
          for (let e = 0; e < 4 * 63; e++) expect(Math.abs(lazy.plan.data[e]! - recorded.plan.data[e]!)).toBeLessThan(close);
          // Built from the potentials, the plan is the very one the solve writes when asked to.
          const [B, n, m] = [4, 9, 7];
          const full = nativeBatch.solveBatch({ ...opts, M: M.data, a: null, b: null, B, n, m, regType: regType === 'kl' ? 'kl' : 'entropy', stopRule: 'problem', record: 'none' });
          const pot0 = full.sol.subarray(B * n * m, B * n * m + B * n);
          const pot1 = full.sol.subarray(B * n * m + B * n);
          expect(nativeBatch.solveBatchPlan({ M: M.data, pot0, pot1, B, n, m, reg: 0.1, solver })).toEqual(full.sol.subarray(0, B * n * m));
          if (solver === 'sinkhorn' && regType === 'entropy') {
            // A zero scaling is an empty row or column: 0 there even where the kernel overflows (not 0 * inf = NaN).
            const huge = Float64Array.from([-1e4, 1, 2, 3]);
            const one = nativeBatch.solveBatchPlan({ M: huge, pot0: Float64Array.of(0, 1), pot1: Float64Array.of(1, 0), B: 1, n: 2, m: 2, reg: 1, solver });
            expect(Array.from(one)).toEqual([0, 0, Math.exp(-2), 0]);
          }
          // The value from the potentials (no log per entry) against POT's formula on the plan.
          for (let k = 0; k < 4; k++) {
            let lin = 0;
            let ent = 0;
            for (let e = k * 63; e < (k + 1) * 63; e++) {
              const t = lazy.plan.data[e]!;
              lin += M.data[e]! * t;
              ent += t * Math.log((regType === 'kl' ? t * 63 : t) + 1e-16);
            }
            const tol = dtype === 'float64' ? 1e-12 : 2e-5;
            expect(Math.abs(lazy.valueLinear.data[k]! - lin)).toBeLessThan(tol * Math.abs(lin));
            expect(Math.abs(lazy.value.data[k]! - (lin + 0.1 * ent))).toBeLessThan(tol * Math.max(1, Math.abs(lin + 0.1 * ent)));
          }
        }
      }
    }
  });

  it("regType 'KL' differs from 'entropy' by reg·(Σ a log a + Σ b log b)", () => {
    const { M, a, b } = randomProblem(3, 7, 6, 50);
    const reg = 0.15;
    const opts = { reg, a, b, tol: 1e-13, maxIter: 100000 };
    const ent = ot.batch.solveBatch(M, opts);
    const kl = ot.batch.solveBatch(M, { ...opts, regType: 'KL' });
    for (let k = 0; k < 3; k++) {
      let s = 0;
      for (let i = 0; i < 7; i++) s += a.data[k * 7 + i]! * Math.log(a.data[k * 7 + i]!);
      for (let j = 0; j < 6; j++) s += b.data[k * 6 + j]! * Math.log(b.data[k * 6 + j]!);
      expect(kl.value.data[k]!).toBeCloseTo(ent.value.data[k]! - reg * s, 10);
    }
  });

  it('reports max_iter and diverged with one warning each', () => {
    const { M } = randomProblem(2, 5, 5, 60);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const short = ot.batch.solveBatch(M, { reg: 0.01, maxIter: 3, tol: 0 });
    expect(short.status).toBe('max_iter');
    expect(short.nIter).toBe(2);
    expect(warn).toHaveBeenCalledTimes(1);
    // exp(-M/reg) underflows to 0 in the scaling domain: 0/0.
    const big = ot.batch.solveBatch(M.add(1000), { reg: 1, solver: 'sinkhorn' });
    expect(big.statusPerProblem).toContain('diverged');
    expect(big.status).toBe('diverged');
    expect(warn).toHaveBeenCalledTimes(2);
    warn.mockRestore();
    // The log domain handles the same problem, whose plan ignores the constant shift.
    const shifted = ot.batch.solveBatch(M.add(1000), { reg: 1, tol: 1e-12 });
    expect(shifted.status).toBe('converged');
    expectClose(shifted.plan.data, ot.batch.solveBatch(M, { reg: 1, tol: 1e-12 }).plan.data, { rel: 1e-9, abs: 0 }, 'shifted plan');
  });
});

describe('solveBatch: gradients', () => {
  const reg = 0.2;
  const [B, n, m] = [3, 5, 4];

  function valueOf(Mv: Float64Array, av: Float64Array, bv: Float64Array, opts: object): Float64Array {
    const res = ot.batch.solveBatch(ot.tensor(Mv, { shape: [B, n, m] }), {
      reg, a: ot.tensor(av, { shape: [B, n] }), b: ot.tensor(bv, { shape: [B, m] }), ...opts,
    });
    return res.value.data as Float64Array;
  }

  for (const solver of ['log_sinkhorn', 'sinkhorn'] as const) {
    it(`envelope (${solver}) matches finite differences of the converged value`, () => {
      const { M, a, b } = randomProblem(B, n, m, 70);
      const opts = { tol: 1e-14, maxIter: 200000, solver };
      const Mg = M.clone().detach().requiresGrad_(true);
      const ag = a.clone().detach().requiresGrad_(true);
      const bg = b.clone().detach().requiresGrad_(true);
      const res = ot.batch.solveBatch(Mg, { reg, a: ag, b: bg, ...opts });
      res.value.sum().backward();
      expectClose(Mg.grad!.data, res.plan.data, { rel: 1e-14, abs: 0 }, 'dM = plan');
      const h = 1e-6;
      const base = [M.data, a.data, b.data].map((d) => Float64Array.from(d));
      const total = (d: Float64Array) => d.reduce((s, v) => s + v, 0);
      for (const idx of [0, 7, 13, 40, 59]) {
        const p = base.map((d) => d.slice());
        const q = base.map((d) => d.slice());
        p[0]![idx]! += h;
        q[0]![idx]! -= h;
        const fd = (total(valueOf(p[0]!, p[1]!, p[2]!, opts)) - total(valueOf(q[0]!, q[1]!, q[2]!, opts))) / (2 * h);
        expect(Mg.grad!.data[idx]!).toBeCloseTo(fd, 6);
      }
      // a and b: along zero-sum directions (keeps the masses equal); the gradient is defined up to a constant.
      for (const [which, len, g] of [[1, n, ag.grad!], [2, m, bg.grad!]] as const) {
        for (let k = 0; k < B; k++) {
          const i = 1 + k;
          const dir = new Float64Array(B * len);
          dir[k * len + i] = 1;
          dir[k * len] = -1;
          const p = base.map((d) => d.slice());
          const q = base.map((d) => d.slice());
          for (let t = 0; t < dir.length; t++) {
            p[which]![t]! += h * dir[t]!;
            q[which]![t]! -= h * dir[t]!;
          }
          const fd = (total(valueOf(p[0]!, p[1]!, p[2]!, opts)) - total(valueOf(q[0]!, q[1]!, q[2]!, opts))) / (2 * h);
          const an = g.data[k * len + i]! - g.data[k * len]!;
          expect(an).toBeCloseTo(fd, 6);
        }
      }
    });

    it(`autodiff (${solver}) matches finite differences through a fixed number of iterations`, () => {
      const { M, a, b } = randomProblem(B, n, m, 80);
      const opts = { tol: 0, maxIter: 25, solver, grad: 'autodiff' as const };
      const W = ot.randn([B, n, m], { seed: 81 });
      const Mg = M.clone().detach().requiresGrad_(true);
      const ag = a.clone().detach().requiresGrad_(true);
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      const res = ot.batch.solveBatch(Mg, { reg, a: ag, b, ...opts });
      expect(res.plan.requiresGrad).toBe(true);
      res.plan.mul(W).sum().add(res.value.sum()).add(res.potentials[0].sum().mul(0.1)).backward();
      const obj = (Mv: Float64Array, av: Float64Array): number => {
        const r = ot.batch.solveBatch(ot.tensor(Mv, { shape: [B, n, m] }), { reg, a: ot.tensor(av, { shape: [B, n] }), b, ...opts });
        let s = 0;
        for (let k = 0; k < r.plan.numel; k++) s += r.plan.data[k]! * W.data[k]!;
        for (const v of r.value.data) s += v;
        for (const v of r.potentials[0].data) s += 0.1 * v;
        return s;
      };
      const h = 1e-6;
      const M0 = Float64Array.from(M.data);
      const a0 = Float64Array.from(a.data);
      for (const idx of [0, 11, 29, 58]) {
        const p = M0.slice();
        const q = M0.slice();
        p[idx]! += h;
        q[idx]! -= h;
        expect(Mg.grad!.data[idx]!).toBeCloseTo((obj(p, a0) - obj(q, a0)) / (2 * h), 5);
      }
      // A single weight moves (masses then differ by 1e-7, within the mass check): POT differentiates each.
      const ha = 1e-7;
      for (const idx of [0, 6, 14]) {
        const p = a0.slice();
        const q = a0.slice();
        p[idx]! += ha;
        q[idx]! -= ha;
        expect(ag.grad!.data[idx]!).toBeCloseTo((obj(M0, p) - obj(M0, q)) / (2 * ha), 5);
      }
      warn.mockRestore();
    });
  }

  it('gradients flow from distBatch through solveBatch to the samples', () => {
    const X = ot.rand([4, 6, 2], { seed: 90, requiresGrad: true });
    const Y = ot.rand([4, 5, 2], { seed: 91 });
    const res = ot.batch.solveBatch(ot.batch.distBatch(X, Y), { reg: 0.1 });
    res.value.sum().backward();
    expect(X.grad!.shape).toEqual([4, 6, 2]);
    expect(flat(X.grad!.data).every(Number.isFinite)).toBe(true);
    expect(Math.max(...flat(X.grad!.data).map(Math.abs))).toBeGreaterThan(0);
  });

  it("'detach' records nothing", () => {
    const { M } = randomProblem(2, 4, 4, 95);
    const res = ot.batch.solveBatch(M.clone().detach().requiresGrad_(true), { reg: 0.1, grad: 'detach' });
    expect(res.value.requiresGrad).toBe(false);
    expect(res.plan.requiresGrad).toBe(false);
  });
});

describe('solveBatch: async and abort', () => {
  it('async equals sync, in both dtypes and both solvers', async () => {
    for (const dtype of ['float64', 'float32'] as const) {
      for (const solver of ['log_sinkhorn', 'sinkhorn'] as const) {
        const { M, a, b } = randomProblem(5, 12, 9, 100, dtype);
        const s = ot.batch.solveBatch(M, { reg: 0.1, a, b, solver });
        const r = await ot.batch.solveBatchAsync(M, { reg: 0.1, a, b, solver });
        expect(Array.from(r.plan.data)).toEqual(Array.from(s.plan.data));
        expect(Array.from(r.value.data)).toEqual(Array.from(s.value.data));
        expect(r.nIter).toBe(s.nIter);
      }
    }
    // The recorded iterations travel with an async result too.
    const grads = await Promise.all([false, true].map(async (useAsync) => {
      const M = ot.rand([3, 5, 4], { seed: 101, requiresGrad: true });
      const opts = { reg: 0.1, grad: 'autodiff' as const };
      const res = useAsync ? await ot.batch.solveBatchAsync(M, opts) : ot.batch.solveBatch(M, opts);
      res.value.sum().backward();
      return Array.from(M.grad!.data);
    }));
    expect(grads[1]).toEqual(grads[0]);
  });

  it('abort rejects with ERR_OT_ABORTED within a few iterations', async () => {
    const M = ot.rand([64, 64, 64], { seed: 110 });
    const ac = new AbortController();
    const t0 = performance.now();
    const p = ot.batch.solveBatchAsync(M, { reg: 0.01, maxIter: 10_000_000, tol: 0, signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await expectOTError(p, 'ERR_OT_ABORTED', /aborted/);
    expect(performance.now() - t0).toBeLessThan(5000);
    const pre = new AbortController();
    pre.abort();
    await expectOTError(ot.batch.solveBatchAsync(M, { reg: 0.1, signal: pre.signal }), 'ERR_OT_ABORTED');
  });
});

describe('solveBatch: bad input', () => {
  const { M, a, b } = randomProblem(2, 4, 3, 120);
  it('rejects bad shapes, values and options with a code naming the argument', async () => {
    await expectOTError(() => ot.batch.solveBatch(ot.rand([4, 3]), { reg: 1 }), 'ERR_OT_SHAPE', /M must be 3-d/);
    await expectOTError(() => ot.batch.solveBatch(M, { reg: NaN }), 'ERR_OT_VALUE', /reg/);
    await expectOTError(() => ot.batch.solveBatch(M, { reg: -1 }), 'ERR_OT_VALUE', /reg/);
    // reg omitted or 0 is exact OT (test/exact-batch.test.ts); options must still be an object.
    await expectOTError(() => ot.batch.solveBatch(M, 5 as never), 'ERR_OT_ARG', /options must be an object/);
    await expectOTError(() => ot.batch.solveBatch(M, { reg: 1, maxIter: 1.5 }), 'ERR_OT_ARG', /maxIter/);
    await expectOTError(() => ot.batch.solveBatch(M, { reg: 1, maxIter: 0 }), 'ERR_OT_ARG', /maxIter/);
    await expectOTError(() => ot.batch.solveBatch(M, { reg: 1, tol: -1 }), 'ERR_OT_VALUE', /tol/);
    await expectOTError(() => ot.batch.solveBatch(M, { reg: 1, maxiter: 5 } as never), 'ERR_OT_ARG', /unknown option 'maxiter'/);
    await expectOTError(() => ot.batch.solveBatch(M, { reg: 1, solver: 'emd' as never }), 'ERR_OT_ARG', /solver/);
    await expectOTError(() => ot.batch.solveBatch(M, { reg: 1, regType: 'L2' as never }), 'ERR_OT_ARG', /regType/);
    await expectOTError(() => ot.batch.solveBatch(M, { reg: 1, grad: 'implicit' as never }), 'ERR_OT_ARG', /grad/);
    await expectOTError(() => ot.batch.solveBatch(M, { reg: 1, a: ot.rand([2, 5]) }), 'ERR_OT_SHAPE', /a has shape \[2, 5\]/);
    await expectOTError(() => ot.batch.solveBatch(M, { reg: 1, a: ot.rand([4]) }), 'ERR_OT_SHAPE', /a must be 2-d/);
    await expectOTError(() => ot.batch.solveBatch(M, { reg: 1, a: a.mul(-1), b }), 'ERR_OT_VALUE', /a must be >= 0/);
    await expectOTError(() => ot.batch.solveBatch(M, { reg: 1, a: a.mul(2), b }), 'ERR_OT_VALUE', /same mass/);
    const nan = M.data.slice();
    nan[5] = Number.NaN;
    await expectOTError(() => ot.batch.solveBatch(ot.tensor(nan, { shape: [2, 4, 3] }), { reg: 1 }), 'ERR_OT_VALUE', /M contains NaN or Inf/);
    await expectOTError(ot.batch.solveBatchAsync(M, { reg: 1, signal: 'x' as never }), 'ERR_OT_ARG', /signal/);
    await expectOTError(ot.batch.solveBatchAsync(M, { reg: -2 }), 'ERR_OT_VALUE', /reg/);
  });

  it('the native layer validates again', async () => {
    const f = (over: Record<string, unknown>) => () => {
      const options = {
        M: M.data, a: a.data, b: b.data, B: 2, n: 4, m: 3, reg: 0.1, maxIter: 100, tol: 1e-5, solver: 'log_sinkhorn', regType: 'entropy',
        stopRule: 'batch', record: 'none', ...over,
      };
      return (nativeBatch.solveBatch as (o: unknown) => unknown)(options);
    };
    await expectOTError(f({ m: 5 }), 'ERR_OT_SHAPE', /M has 24 entries/);
    await expectOTError(f({ reg: 0 }), 'ERR_OT_VALUE', /reg/);
    await expectOTError(f({ maxIter: 2.5 }), 'ERR_OT_ARG', /maxIter/);
    await expectOTError(f({ a: new Float32Array(8) }), 'ERR_OT_DTYPE', /a must have M's dtype/);
    await expectOTError(f({ a: a.data.map((v) => -v) }), 'ERR_OT_VALUE', /a must be >= 0/);
    await expectOTError(f({ b: b.data.map((v) => 2 * v) }), 'ERR_OT_VALUE', /same mass/);
    await expectOTError(f({ solver: 'newton' }), 'ERR_OT_ARG', /solver/);
    await expectOTError(f({ M: [1, 2, 3] }), 'ERR_OT_ARG', /M must be a Float32Array or Float64Array/);
    await expectOTError(() => (nativeBatch.solveBatch as (...x: unknown[]) => unknown)(M.data, a.data, b.data, 2, 4, 3), 'ERR_OT_ARG', /options object/);
    expect((f({})() as { nIter: number }).nIter).toBeGreaterThanOrEqual(0);
  });
});

describe('distBatch', () => {
  const X = ot.rand([3, 6, 4], { seed: 130 });
  const Y = ot.rand([3, 5, 4], { seed: 131 });

  function refKL(x: number[], y: number[]): number {
    const eps = 1e-10;
    let s = 0;
    for (let k = 0; k < x.length; k++) s += y[k]! * Math.log(y[k]! + eps) - y[k]! * Math.log(x[k]! + eps);
    return s;
  }

  for (const metric of ['sqeuclidean', 'euclidean', 'minkowski', 'kl'] as const) {
    it(`${metric} equals the per-problem cost matrices`, () => {
      const p = metric === 'minkowski' ? 3 : 2;
      const M = ot.batch.distBatch(X, Y, { metric, p });
      expect(M.shape).toEqual([3, 6, 5]);
      for (let k = 0; k < 3; k++) {
        const xk = ot.tensor(X.data.slice(k * 24, (k + 1) * 24), { shape: [6, 4] });
        const yk = ot.tensor(Y.data.slice(k * 20, (k + 1) * 20), { shape: [5, 4] });
        let want: number[];
        if (metric === 'kl') {
          want = [];
          for (let i = 0; i < 6; i++) for (let j = 0; j < 5; j++) want.push(refKL(Array.from(xk.data.slice(i * 4, i * 4 + 4)), Array.from(yk.data.slice(j * 4, j * 4 + 4))));
        } else {
          want = Array.from(ot.dist(xk, yk, { metric, p }).data);
        }
        expectClose(M.data.subarray(k * 30, (k + 1) * 30), want, { rel: 1e-12, abs: 1e-14 }, `${metric} problem ${k}`);
      }
    });

    it(`${metric} gradient matches finite differences`, () => {
      const p = metric === 'minkowski' ? 3 : 2;
      const Xg = X.clone().detach().requiresGrad_(true);
      const Yg = Y.clone().detach().requiresGrad_(true);
      const W = ot.randn([3, 6, 5], { seed: 132 });
      ot.batch.distBatch(Xg, Yg, { metric, p }).mul(W).sum().backward();
      const obj = (xv: Float64Array, yv: Float64Array): number => {
        const M = ot.batch.distBatch(ot.tensor(xv, { shape: [3, 6, 4] }), ot.tensor(yv, { shape: [3, 5, 4] }), { metric, p });
        let s = 0;
        for (let k = 0; k < M.numel; k++) s += M.data[k]! * W.data[k]!;
        return s;
      };
      const h = 1e-6;
      const x0 = Float64Array.from(X.data);
      const y0 = Float64Array.from(Y.data);
      for (const idx of [0, 9, 30, 71]) {
        const xp = x0.slice(); const xm = x0.slice();
        xp[idx]! += h; xm[idx]! -= h;
        expect(Xg.grad!.data[idx]!).toBeCloseTo((obj(xp, y0) - obj(xm, y0)) / (2 * h), 6);
      }
      for (const idx of [1, 22, 59]) {
        const yp = y0.slice(); const ym = y0.slice();
        yp[idx]! += h; ym[idx]! -= h;
        expect(Yg.grad!.data[idx]!).toBeCloseTo((obj(x0, yp) - obj(x0, ym)) / (2 * h), 6);
      }
    });
  }

  it('without Y uses X against itself (zero diagonal), differentiably', () => {
    const Xg = X.clone().detach().requiresGrad_(true);
    const M = ot.batch.distBatch(Xg);
    expect(Array.from(M.data)).toEqual(Array.from(ot.batch.distBatch(X, X).data));
    for (let k = 0; k < 3; k++) for (let i = 0; i < 6; i++) expect(M.data[(k * 6 + i) * 6 + i]).toBe(0);
    M.sum().backward();
    // d/dx_i of sum_jk |x_j - x_k|^2 = 4 sum_j (x_i - x_j)
    const xi = Array.from(X.data.slice(0, 4));
    let want = 0;
    for (let j = 0; j < 6; j++) want += 4 * (xi[0]! - X.data[j * 4]!);
    expect(Xg.grad!.data[0]!).toBeCloseTo(want, 10);
  });

  it('float32, async parity, abort and bad input', async () => {
    const X32 = X.to('float32');
    const Y32 = Y.to('float32');
    const M32 = ot.batch.distBatch(X32, Y32);
    expect(M32.dtype).toBe('float32');
    expectClose(M32.data, ot.batch.distBatch(X, Y).data, tolerance('float32'), 'float32');
    const Ma = await ot.batch.distBatchAsync(X, Y, { metric: 'euclidean' });
    expect(Array.from(Ma.data)).toEqual(Array.from(ot.batch.distBatch(X, Y, { metric: 'euclidean' }).data));
    const pre = new AbortController();
    pre.abort();
    await expectOTError(ot.batch.distBatchAsync(X, Y, { signal: pre.signal }), 'ERR_OT_ABORTED');
    await expectOTError(() => ot.batch.distBatch(ot.rand([3, 4]), Y), 'ERR_OT_SHAPE', /X must be 3-d/);
    await expectOTError(() => ot.batch.distBatch(X, ot.rand([2, 5, 4])), 'ERR_OT_SHAPE', /problems/);
    await expectOTError(() => ot.batch.distBatch(X, ot.rand([3, 5, 3])), 'ERR_OT_SHAPE', /features/);
    await expectOTError(() => ot.batch.distBatch(X, Y, { metric: 'cosine' as never }), 'ERR_OT_ARG', /metric/);
    await expectOTError(() => ot.batch.distBatch(X, Y, { metric: 'minkowski', p: 0.5 }), 'ERR_OT_VALUE', /p must be a finite number >= 1/);
    await expectOTError(() => ot.batch.distBatch(X, Y, { metrc: 'kl' } as never), 'ERR_OT_ARG', /unknown option/);
    await expectOTError(() => ot.batch.distBatch(X.mul(-1), Y, { metric: 'kl' }), 'ERR_OT_VALUE', /X must be >= 0/);
    const nan = X.data.slice();
    nan[3] = Number.POSITIVE_INFINITY;
    await expectOTError(() => ot.batch.distBatch(ot.tensor(nan, { shape: [3, 6, 4] }), Y), 'ERR_OT_VALUE', /X contains NaN or Inf/);
    expect(ot.batch.distBatch(X, Y, { metric: 'EUCLIDEAN' as never }).shape).toEqual([3, 6, 5]);
  });
});

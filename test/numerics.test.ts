// Numerical safety at the edges: tiny reg, huge costs, zero-mass weights. No NaN or Inf may reach a
// value, a plan or a gradient; non-convergence is status 'max_iter' with one warning per call site and
// code, a blow-up is status 'diverged' (one warning, and no gradient) — never a silent NaN.
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import * as ot from '../lib/index.js';
import { resetWarnings } from '../lib/core/warnings.js';

const GRADS = ['autodiff', 'envelope', 'last_step', 'detach'] as const;

let warn: MockInstance<typeof process.emitWarning>;
beforeEach(() => {
  // Each test counts its own warnings: forget the call sites earlier tests warned from.
  resetWarnings();
  warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
});
afterEach(() => {
  warn.mockRestore();
});

/** Warning codes emitted since the last reset. */
function warningCodes(): string[] {
  return warn.mock.calls.map((c) => {
    const opts = c[1] as { code?: string } | string | undefined;
    return typeof opts === 'object' && opts !== null ? String(opts.code) : String(opts);
  });
}

function expectFinite(t: ot.Tensor | null | undefined, what: string): void {
  expect(t, `${what} exists`).toBeTruthy();
  const data = t!.data;
  const bad = data.findIndex((x) => !Number.isFinite(x));
  expect(bad, `${what}: entry ${bad} is ${data[bad]}`).toBe(-1);
}

function rowSums(plan: ot.Tensor): number[] {
  const [n, m] = plan.shape as [number, number];
  const sums = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) sums[i] += plan.data[i * m + j]!;
  return sums;
}

/** The Sinkhorn-gradients workload: x, y = rand([300, 5]), M = dist(x, y) float32, a = b = unif(300). */
function workload(dtype: ot.DType = 'float32') {
  const x = ot.rand([300, 5], { seed: 0, dtype, requiresGrad: true });
  const y = ot.rand([300, 5], { seed: 1, dtype });
  const a = ot.unif(300).requiresGrad_(true);
  const b = ot.unif(300).requiresGrad_(true);
  return { x, y, a, b, M: ot.dist(x, y) };
}

describe('tiny reg (1e-4) on the Sinkhorn-gradients workload', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const grad of GRADS) {
      it(`${grad}, ${dtype}: value, plan, potentials and gradients stay finite`, () => {
        const { x, a, b, M } = workload(dtype);
        const res = ot.solve(M, a, b, { reg: 1e-4, grad });
        expectFinite(res.value, 'value');
        expectFinite(res.valueLinear, 'valueLinear');
        expectFinite(res.plan, 'plan');
        expectFinite(res.potentials[0], 'logU');
        expectFinite(res.potentials[1], 'logV');
        // 1000 iterations are far too few at reg = 1e-4: max_iter, and one warning for the call.
        expect(res.status).toBe('max_iter');
        expect(warningCodes()).toEqual(['OT_SINKHORN_MAX_ITER']);
        // The plan is a plan: the last u-update matches the row marginals (last_step's final u reads
        // the detached v, POT's Jacobi step, so its rows are off while the solve is unconverged).
        if (grad !== 'last_step') {
          const tol = dtype === 'float32' ? 1e-4 / 300 : 1e-10;
          for (const s of rowSums(res.plan)) expect(Math.abs(s - 1 / 300)).toBeLessThan(tol);
        }
        if (grad === 'detach') {
          expect(res.value.requiresGrad).toBe(false);
          return;
        }
        res.value.backward();
        expectFinite(x.grad, 'x.grad (through dist)');
        expectFinite(a.grad, 'a.grad');
        expectFinite(b.grad, 'b.grad');
      });
    }
  }

  for (const grad of ['autodiff', 'last_step'] as const) {
    it(`${grad}: a backward from the plan (sum(plan * W)) stays finite`, () => {
      const { x, a, b, M } = workload();
      const res = ot.solve(M, a, b, { reg: 1e-4, grad });
      const W = ot.rand([300, 300], { seed: 2, dtype: 'float32' });
      res.plan.mul(W).sum().backward();
      expectFinite(x.grad, 'x.grad');
      expectFinite(a.grad, 'a.grad');
      expectFinite(b.grad, 'b.grad');
    });
  }

  it('solveAsync at reg = 1e-4 gives the same finite result and one warning', async () => {
    const { a, b, M } = workload();
    const sync = ot.solve(M, a, b, { reg: 1e-4, grad: 'detach' });
    warn.mockClear();
    const res = await ot.solveAsync(M, a, b, { reg: 1e-4, grad: 'detach' });
    expect(Array.from(res.plan.data)).toEqual(Array.from(sync.plan.data));
    expect(warningCodes()).toEqual(['OT_SINKHORN_MAX_ITER']);
  });
});

describe('huge costs', () => {
  for (const scale of [1e6, 1e30]) {
    for (const reg of [1, 1e6 * 0.01]) {
      it(`M x ${scale}, reg ${reg}: finite results, or status 'diverged' with one warning and no gradient`, () => {
        const { M } = workload('float64');
        const Ms = M.detach().mul(scale).requiresGrad_(true);
        const res = ot.solve(Ms, undefined, undefined, { reg, grad: 'autodiff' });
        expect(warn).toHaveBeenCalledTimes(res.status === 'converged' ? 0 : 1);
        if (res.status === 'diverged') {
          // Potentials beyond 2^50: exp(-M/reg + u + v) would be rounding noise.
          expect(scale * 0.5 / reg).toBeGreaterThan(2 ** 50);
          expect(warningCodes()).toEqual(['OT_SINKHORN_DIVERGED']);
          expect(() => res.value.backward()).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
          return;
        }
        expectFinite(res.value, 'value');
        expectFinite(res.plan, 'plan');
        res.value.backward();
        expectFinite(Ms.grad, 'M.grad');
      });
    }
  }

  it('costs of 1e30 on some entries (forbidden transport) leave a finite plan that avoids them', () => {
    const { M } = workload('float64');
    const P = M.detach().clone();
    for (let i = 0; i < 300; i++) P.data[i * 300 + ((i * 7) % 300)] = 1e30;
    for (const grad of GRADS) {
      const Mg = P.detach().requiresGrad_(true);
      const res = ot.solve(Mg, undefined, undefined, { reg: 0.01, grad });
      expect(res.status).not.toBe('diverged');
      expectFinite(res.value, `${grad} value`);
      expectFinite(res.plan, `${grad} plan`);
      for (let i = 0; i < 300; i++) expect(res.plan.data[i * 300 + ((i * 7) % 300)]).toBe(0);
      if (grad !== 'detach') {
        res.value.backward();
        expectFinite(Mg.grad, `${grad} M.grad`);
      }
    }
  });

  it('float32 costs near the top of the float32 range', () => {
    const M = ot.rand([40, 30], { seed: 3, dtype: 'float32' }).mul(1e37).requiresGrad_(true);
    const res = ot.solve(M, undefined, undefined, { reg: 1e36, grad: 'autodiff' });
    expectFinite(res.value, 'value');
    expectFinite(res.plan, 'plan');
    res.value.backward();
    expectFinite(M.grad, 'M.grad');
  });
});

describe('zero-mass entries in a or b', () => {
  const zeroEvery = (n: number, k: number): ot.Tensor => {
    const w = Array.from({ length: n }, (_, i): number => (i % k === 0 ? 0 : 1));
    const s = w.reduce((p, x) => p + x, 0);
    return ot.tensor(w.map((x) => x / s));
  };
  for (const reg of [0.05, 1e-3, 1e-4]) {
    for (const regType of ['KL', 'entropy'] as const) {
      it(`reg ${reg}, ${regType}: every grad mode finite, zero-weight rows and columns carry no mass`, () => {
        const { M } = workload();
        for (const grad of GRADS) {
          const Mg = M.detach().requiresGrad_(true);
          const a = zeroEvery(300, 3).requiresGrad_(true);
          const b = zeroEvery(300, 5).requiresGrad_(true);
          const res = ot.solve(Mg, a, b, { reg, regType, grad, maxIter: 300 });
          expect(res.status, grad).not.toBe('diverged');
          expectFinite(res.value, `${grad} value`);
          expectFinite(res.plan, `${grad} plan`);
          const sums = rowSums(res.plan);
          for (let i = 0; i < 300; i += 3) expect(sums[i]).toBe(0);
          for (let j = 0; j < 300; j += 5) for (let i = 0; i < 300; i++) expect(res.plan.data[i * 300 + j]).toBe(0);
          if (grad === 'detach') continue;
          res.value.backward();
          expectFinite(Mg.grad, `${grad} M.grad`);
          expectFinite(a.grad, `${grad} a.grad`);
          expectFinite(b.grad, `${grad} b.grad`);
          // No mass to move: a zero-weight entry's gradient is 0 in every mode.
          expect(a.grad!.data[0]).toBe(0);
          expect(b.grad!.data[0]).toBe(0);
        }
      });
    }
  }

  it('batch: zero weights, tiny reg and both solvers keep values, plans and envelope gradients finite', () => {
    const X = ot.rand([3, 40, 2], { seed: 4 });
    const Y = ot.rand([3, 30, 2], { seed: 5 });
    const M = ot.batch.distBatch(X, Y);
    const w = (n: number, k: number) => {
      const d = new Float64Array(3 * n);
      for (let p = 0; p < 3; p++) for (let i = 0; i < n; i++) d[p * n + i] = i % k === 0 ? 0 : 1;
      for (let p = 0; p < 3; p++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += d[p * n + i]!;
        for (let i = 0; i < n; i++) d[p * n + i]! /= s;
      }
      return ot.tensor(d, { shape: [3, n], requiresGrad: true });
    };
    for (const solver of ['log_sinkhorn', 'sinkhorn'] as const) {
      for (const reg of [0.05, 1e-3]) {
        const a = w(40, 4);
        const b = w(30, 3);
        const res = ot.batch.solveBatch(M.detach(), { reg, a, b, solver, grad: 'envelope' });
        if (res.status === 'diverged') {
          // The scaling-domain solver can underflow at small reg (documented); the log solver must not.
          expect(solver).toBe('sinkhorn');
          continue;
        }
        expectFinite(res.value, `${solver} ${reg} value`);
        expectFinite(res.plan, `${solver} ${reg} plan`);
        res.value.sum().backward();
        expectFinite(a.grad, `${solver} ${reg} a.grad`);
        expectFinite(b.grad, `${solver} ${reg} b.grad`);
      }
    }
  });
});

describe('status and warnings', () => {
  it("non-convergence: status 'max_iter' and exactly one warning per call (sync and async)", async () => {
    const { M } = workload();
    const r1 = ot.solve(M, undefined, undefined, { reg: 0.01, maxIter: 5 });
    expect(r1.status).toBe('max_iter');
    expect(warn).toHaveBeenCalledTimes(1);
    const r2 = await ot.solveAsync(M, undefined, undefined, { reg: 0.01, maxIter: 5 });
    expect(r2.status).toBe('max_iter');
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warningCodes()).toEqual(['OT_SINKHORN_MAX_ITER', 'OT_SINKHORN_MAX_ITER']);
    const ok = ot.solve(M, undefined, undefined, { reg: 1, maxIter: 1000 });
    expect(ok.status).toBe('converged');
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('a loop of stalled solves from one call site warns once, not once per call', () => {
    const M = ot.rand([10, 10], { seed: 9 });
    for (let k = 0; k < 34; k++) expect(ot.solve(M, { reg: 1e-3, maxIter: 2 }).status).toBe('max_iter');
    expect(warningCodes()).toEqual(['OT_SINKHORN_MAX_ITER']);
  });

  it("batch non-convergence: one warning per call whatever the number of stalled problems", () => {
    const M = ot.batch.distBatch(ot.rand([6, 20, 2], { seed: 6 }), ot.rand([6, 20, 2], { seed: 7 }));
    const res = ot.batch.solveBatch(M, { reg: 1e-3, maxIter: 3 });
    expect(res.statusPerProblem.every((s) => s === 'max_iter')).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it("divergence: status 'diverged', one warning, and backward refuses with ERR_OT_VALUE", () => {
    const M = ot.rand([20, 20], { seed: 8, dtype: 'float64' }).mul(1e30).requiresGrad_(true);
    const res = ot.solve(M, undefined, undefined, { reg: 1, grad: 'envelope' });
    expect(res.status).toBe('diverged');
    expect(warningCodes()).toEqual(['OT_SINKHORN_DIVERGED']);
    expect(() => res.value.backward()).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
  });
});

describe('extreme but finite inputs elsewhere never come back as NaN', () => {
  const noNaN = (t: ot.Tensor): boolean => !t.data.some((x) => Number.isNaN(x));
  const expectNaNFreeOrRefused = (run: () => ot.Tensor, what: string): void => {
    let out: ot.Tensor;
    try {
      out = run();
    } catch (e) {
      expect(e, what).toBeInstanceOf(ot.OTError);
      expect((e as ot.OTError).code, what).toBe('ERR_OT_VALUE');
      return;
    }
    expect(noNaN(out), what).toBe(true);
  };

  it('dist on huge and denormal coordinates, every metric, forward and backward', () => {
    const cases = [1e300, 1e-300, 5e-324, 1e154];
    for (const v of cases) {
      for (const metric of ['sqeuclidean', 'euclidean', 'cityblock', 'minkowski', 'chebyshev', 'cosine'] as const) {
        const x = ot.tensor([[v, 2 * v], [-v, v], [v, 0]], { requiresGrad: true });
        const y = ot.tensor([[0.5 * v, -v], [v, v]]);
        expectNaNFreeOrRefused(() => {
          const M = ot.dist(x, y, { metric, p: 3 });
          if (noNaN(M)) M.sum().backward();
          return x.grad ?? M;
        }, `${metric} at ${v}`);
      }
    }
  });

  it('dual losses with zero weights and potentials that overflow exp', () => {
    const u = ot.tensor([800, 0, 1], { requiresGrad: true });
    const v = ot.tensor([900, 2], { requiresGrad: true });
    const xs = ot.rand([3, 2], { seed: 9 });
    const xt = ot.rand([2, 2], { seed: 10 });
    const ws = ot.tensor([0, 0.5, 0.5]);
    for (const fn of ['lossDualEntropic', 'lossDualQuadratic', 'planDualEntropic', 'planDualQuadratic'] as const) {
      expectNaNFreeOrRefused(() => ot.stochastic[fn](u, v, xs, xt, { reg: 0.01, ws }), fn);
    }
  });
});

// ot.solve / ot.solveAsync (entropic): POT fixtures for every grad mode in both dtypes, POT's iterates
// against a plain-JS sinkhorn_log, marginals, finite differences, async parity, abort, bad input.
import { describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';
import { nativeSolve } from '../lib/backend/native-solve.js';
import { addon } from '../lib/native.js';
import { expectClose, flat, loadFixture, tolerance } from './helpers/fixtures.js';
import { expectOTError } from './helpers/ot-error.js';

type DType = 'float32' | 'float64';
const fixture = loadFixture('solve');

// ---- plain-JS reference: POT's sinkhorn_log, iteration by iteration ----

function lse(xs: number[]): number {
  const top = Math.max(...xs);
  if (top === -Infinity) return top;
  return top + Math.log(xs.reduce((s, x) => s + Math.exp(x - top), 0));
}

function refSinkhornLog(M: number[][], a: number[], b: number[], reg: number, maxIter: number, tol: number) {
  const n = a.length;
  const m = b.length;
  let u = new Array<number>(n).fill(0);
  let v = new Array<number>(m).fill(0);
  let ii: number;
  for (ii = 0; ii < maxIter; ii++) {
    v = b.map((bj, j) => Math.log(bj) - lse(M.map((row, i) => -row[j]! / reg + u[i]!)));
    u = a.map((ai, i) => Math.log(ai) - lse(M[i]!.map((mij, j) => -mij / reg + v[j]!)));
    if (ii % 10 === 0) {
      const err = Math.hypot(...b.map((bj, j) => M.reduce((s, row, i) => s + Math.exp(-row[j]! / reg + u[i]! + v[j]!), 0) - bj));
      if (err < tol) break;
    }
  }
  const plan = M.map((row, i) => row.map((mij, j) => Math.exp(-mij / reg + u[i]! + v[j]!)));
  return { u, v, plan, nIter: Math.min(ii, maxIter - 1) };
}

function randomProblem(n: number, m: number, seed: number, dtype: DType = 'float64') {
  const x = ot.rand([n, 3], { seed, dtype: 'float64' });
  const y = ot.rand([m, 3], { seed: seed + 1, dtype: 'float64' });
  const M = ot.dist(x, y).to(dtype);
  const wa = ot.rand([n], { seed: seed + 2 }).add(0.5);
  const wb = ot.rand([m], { seed: seed + 3 }).add(0.5);
  const a = wa.div(wa.sum().item()).to(dtype);
  const b = wb.div(wb.sum().item()).to(dtype);
  return { M, a, b };
}

function rows(t: ot.Tensor): number[][] {
  return t.toArray() as number[][];
}

/** Collects the process warnings fn emits (and keeps them off stderr). */
function warningsDuring<T>(fn: () => T): { result: T; warnings: string[] } {
  const warnings: string[] = [];
  const spy = vi.spyOn(process, 'emitWarning').mockImplementation((w: string | Error) => void warnings.push(String(w)));
  try {
    return { result: fn(), warnings };
  } finally {
    spy.mockRestore();
  }
}

async function warningsDuringAsync<T>(fn: () => Promise<T>): Promise<{ result: T; warnings: string[] }> {
  const warnings: string[] = [];
  const spy = vi.spyOn(process, 'emitWarning').mockImplementation((w: string | Error) => void warnings.push(String(w)));
  try {
    return { result: await fn(), warnings };
  } finally {
    spy.mockRestore();
  }
}

// ---- POT fixtures ----

describe('solve: POT fixtures', () => {
  for (const dtype of ['float64', 'float32'] as DType[]) {
    const tol = tolerance(dtype);
    for (const c of fixture.cases) {
      const title = `solve ${c.reg_type} ${c.grad} ${c.n}x${c.m} reg=${c.reg} ${dtype}`;
      it(title, () => {
        const M = ot.tensor(c.M, { dtype, requiresGrad: true });
        const a = ot.tensor(c.a, { dtype, requiresGrad: true });
        const b = ot.tensor(c.b, { dtype, requiresGrad: true });
        const res = ot.solve(M, a, b, { reg: c.reg, regType: c.reg_type, grad: c.grad });
        expect(res.status).toBe('converged');
        expect(res.plan.dtype).toBe(dtype);
        expect(res.value.shape).toEqual([]);
        expectClose([res.value.item()], [c.value], tol, `${title} value`);
        expectClose([res.valueLinear.item()], [c.value_linear], tol, `${title} valueLinear`);
        expectClose(res.plan.data, c.plan, tol, `${title} plan`);
        expectClose(res.potentials[0].data, c.log_u, tol, `${title} logU`);
        expectClose(res.potentials[1].data, c.log_v, tol, `${title} logV`);
        if (c.grad === 'detach') {
          expect(res.value.requiresGrad).toBe(false);
          return;
        }
        expect(res.plan.requiresGrad).toBe(c.grad !== 'envelope');
        res.value.backward();
        expectClose(M.grad!.data, c.grad_value.M, tol, `${title} d value/dM`);
        if (c.grad_value.a) expectClose(a.grad!.data, c.grad_value.a, tol, `${title} d value/da`);
        if (c.grad_value.b) expectClose(b.grad!.data, c.grad_value.b, tol, `${title} d value/db`);
        if (c.grad_sum_planW) {
          const M2 = ot.tensor(c.M, { dtype, requiresGrad: true });
          const a2 = ot.tensor(c.a, { dtype, requiresGrad: true });
          const b2 = ot.tensor(c.b, { dtype, requiresGrad: true });
          const r2 = ot.solve(M2, a2, b2, { reg: c.reg, regType: c.reg_type, grad: c.grad });
          r2.plan.mul(ot.tensor(c.W, { dtype })).sum().backward();
          expectClose(M2.grad!.data, c.grad_sum_planW.M, tol, `${title} d sum(plan W)/dM`);
          if (c.grad_sum_planW.a) expectClose(a2.grad!.data, c.grad_sum_planW.a, tol, `${title} d sum(plan W)/da`);
          if (c.grad_sum_planW.b) expectClose(b2.grad!.data, c.grad_sum_planW.b, tol, `${title} d sum(plan W)/db`);
        }
      });
    }
  }
});

// ---- POT's iterates on problems that exercise the scaling path, absorption and the log domain ----

describe('solve: iterates match sinkhorn_log', () => {
  const cases = [
    { n: 40, m: 30, reg: 0.05, maxIter: 1000, tol: 1e-9 },
    { n: 33, m: 47, reg: 0.005, maxIter: 60, tol: 0 },   // potentials move ~100s: absorptions
    { n: 25, m: 20, reg: 0.0005, maxIter: 30, tol: 0 },  // M/reg ~ 6000: log-domain start
    { n: 70, m: 90, reg: 0.02, maxIter: 1000, tol: 1e-9 },
    { n: 40, m: 35, reg: 0.001, maxIter: 400, tol: 0 },  // absorptions in both dtypes
    { n: 200, m: 190, reg: 0.01, maxIter: 300, tol: 0 }, // large enough for a team of threads
  ];
  for (const c of cases) {
    for (const dtype of ['float64', 'float32'] as DType[]) {
      it(`${c.n}x${c.m} reg=${c.reg} maxIter=${c.maxIter} ${dtype}`, () => {
        const { M, a, b } = randomProblem(c.n, c.m, 11, dtype);
        const ref = refSinkhornLog(rows(M.to('float64')), flat(a.toArray()), flat(b.toArray()), c.reg, c.maxIter, c.tol);
        const { result: res } = warningsDuring(() => ot.solve(M, a, b, { reg: c.reg, maxIter: c.maxIter, tol: c.tol, grad: 'detach' }));
        const tol = tolerance(dtype);
        if (dtype === 'float64') expect(res.nIter).toBe(ref.nIter);
        expectClose(res.plan.data, ref.plan, tol, 'plan');
        expectClose(res.potentials[0].data, ref.u, { rel: tol.rel, abs: 1e-6 }, 'logU');
        expectClose(res.potentials[1].data, ref.v, { rel: tol.rel, abs: 1e-6 }, 'logV');
      });
    }
  }

  it('falls back to the log domain when the scaling path underflows (a weight of 1e-200, float32)', () => {
    const { M, a } = randomProblem(30, 25, 5, 'float32');
    const bw = new Float64Array(25).fill(1);
    bw[3] = 1e-200;
    const total = bw.reduce((s, v) => s + v, 0);
    const b = ot.tensor(bw.map((v) => v / total));
    const ref = refSinkhornLog(rows(M.to('float64')), flat(a.toArray()), flat(b.toArray()), 0.05, 100, 0);
    const res = warningsDuring(() => ot.solve(M, a.to('float64'), b, { reg: 0.05, maxIter: 100, tol: 0, grad: 'detach' })).result;
    const raw = nativeSolve.sinkhornSolve({
      M: M.data, a: a.to('float64').data as Float64Array, b: b.data as Float64Array, n: 30, m: 25, reg: 0.05, regType: 'KL', maxIter: 100, tol: 0, record: 'none',
    });
    expect(raw.logIterations).toBeGreaterThan(90);
    expect(res.status).toBe('max_iter');
    expectClose(res.plan.data, ref.plan, tolerance('float32'), 'plan');
    expectClose(res.potentials[1].data, ref.v, { rel: 1e-4, abs: 1e-3 }, 'logV');
  });
});

// ---- properties ----

describe('solve: properties', () => {
  it('has the marginals a and b at convergence', () => {
    const { M, a, b } = randomProblem(50, 40, 3);
    const res = ot.solve(M, a, b, { reg: 0.02 });
    expect(res.status).toBe('converged');
    expectClose(res.plan.sum(1).data, a.data, { rel: 1e-6, abs: 1e-12 }, 'row sums');
    expectClose(res.plan.sum(0).data, b.data, { rel: 1e-7, abs: 1e-12 }, 'column sums');
  });

  it('uses uniform weights when a and b are omitted (also as solve(M, opts))', () => {
    const { M } = randomProblem(12, 9, 5);
    const r1 = ot.solve(M, undefined, undefined, { reg: 0.1 });
    const r2 = ot.solve(M, { reg: 0.1 });
    const r3 = ot.solve(M, ot.unif(12), ot.unif(9), { reg: 0.1 });
    expect(Array.from(r1.plan.data)).toEqual(Array.from(r3.plan.data));
    expect(Array.from(r2.plan.data)).toEqual(Array.from(r3.plan.data));
  });

  it('agrees between float32 and float64', () => {
    const p64 = randomProblem(60, 50, 8);
    const r64 = ot.solve(p64.M, p64.a, p64.b, { reg: 0.03 });
    const r32 = ot.solve(p64.M.to('float32'), p64.a.to('float32'), p64.b.to('float32'), { reg: 0.03 });
    expect(r32.value.dtype).toBe('float32');
    expectClose(r32.plan.data, r64.plan.data, tolerance('float32'), 'plan');
    expectClose([r32.value.item()], [r64.value.item()], tolerance('float32'), 'value');
  });

  it('handles zero weights: empty rows and columns, no NaN', () => {
    const { M } = randomProblem(10, 8, 9);
    const a = ot.tensor([0, 0.2, 0.1, 0, 0.1, 0.2, 0.1, 0.1, 0.1, 0.1]);
    const b = ot.tensor([0.25, 0, 0.25, 0.1, 0.1, 0.1, 0.1, 0.1]);
    for (const regType of ['KL', 'entropy'] as const) {
      const res = ot.solve(M, a, b, { reg: 0.05, regType, grad: 'detach' });
      expect(res.status).toBe('converged');
      expect(Number.isFinite(res.value.item())).toBe(true);
      const P = rows(res.plan);
      expect(P[0]!.every((p) => p === 0)).toBe(true);
      expect(P.every((r) => r[1] === 0)).toBe(true);
      expect(res.potentials[0].data[0]).toBe(-Infinity);
      expectClose(res.plan.sum(1).data, a.data, { rel: 1e-7, abs: 1e-12 }, 'row sums');
    }
  });

  it('reports max_iter with one warning, and nIter = maxIter - 1', () => {
    const { M, a, b } = randomProblem(30, 30, 4);
    const { result, warnings } = warningsDuring(() => ot.solve(M, a, b, { reg: 0.01, maxIter: 5 }));
    expect(result.status).toBe('max_iter');
    expect(result.nIter).toBe(4);
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/did not converge/);
  });

  // For the entropy regulariser reg * logU is the dual potential, so the envelope gradient is exact
  // at the optimum (up to a constant on a and b).
  for (const [dtype, reg, tol] of [['float64', 0.05, 1e-6], ['float32', 0.01, 1e-4]] as const) {
    it(`autodiff gradients approach the envelope ones at tight convergence (entropy, threaded 210x190, ${dtype}, reg=${reg})`, () => {
      const { M, a, b } = randomProblem(210, 190, 12, dtype);
      const grads = (grad: 'autodiff' | 'envelope') => {
        const Mg = M.detach().requiresGrad_(true);
        const ag = a.detach().requiresGrad_(true);
        const bg = b.detach().requiresGrad_(true);
        const res = ot.solve(Mg, ag, bg, { reg, regType: 'entropy', tol: 1e-12, maxIter: 20000, grad });
        expect(res.status).toBe('converged');
        res.value.backward();
        const centred = (t: ot.Tensor) => t.sub(t.mean().item()).data;
        return { M: Mg.grad!.data, a: centred(ag.grad!), b: centred(bg.grad!) };
      };
      const ad = grads('autodiff');
      const env = grads('envelope');
      expectClose(ad.M, env.M, { rel: tol, abs: 1e-12 }, 'dM');
      expectClose(ad.a, env.a, { rel: tol, abs: 1e-12 }, 'da');
      expectClose(ad.b, env.b, { rel: tol, abs: 1e-12 }, 'db');
    });
  }

  it('gives the same gradient to a whether or not M and b require grad', () => {
    const { M, a, b } = randomProblem(20, 16, 19);
    const all = [M, a, b].map((t) => t.detach().requiresGrad_(true));
    ot.solve(all[0]!, all[1]!, all[2]!, { reg: 0.05 }).value.backward();
    const aOnly = a.detach().requiresGrad_(true);
    ot.solve(M, aOnly, b, { reg: 0.05 }).value.backward();
    expect(Array.from(aOnly.grad!.data)).toEqual(Array.from(all[1]!.grad!.data));
  });

  it('keeps only the iterations run for autodiff, however large maxIter is', () => {
    const { M, a, b } = randomProblem(40, 30, 18);
    const grad = (maxIter: number) => {
      const Mg = M.detach().requiresGrad_(true);
      const res = ot.solve(Mg, a, b, { reg: 0.02, maxIter });
      res.value.backward();
      return { nIter: res.nIter, dM: Array.from(Mg.grad!.data) };
    };
    const big = grad(1e9);
    const usual = grad(1000);
    expect(big.nIter).toBe(usual.nIter);
    expect(big.nIter).toBeGreaterThan(128);
    expect(big.dM).toEqual(usual.dM);
  });

  it('frees the recorded iterations after a backward and records them again for a second one', () => {
    const { M, a, b } = randomProblem(30, 20, 21);
    for (const grad of ['autodiff', 'last_step'] as const) {
      const Mg = M.detach().requiresGrad_(true);
      const ag = a.detach().requiresGrad_(true);
      const res = ot.solve(Mg, ag, b, { reg: 0.05, grad });
      res.value.backward();
      const first = { dM: Array.from(Mg.grad!.data), da: Array.from(ag.grad!.data) };
      const release = vi.spyOn(nativeSolve, 'releaseHistory');
      // Through the plan this time: the same node, its history already freed (one thread here: the
      // record is the same arithmetic, so the gradients add up exactly to twice the first).
      res.value.backward();
      expect(release).toHaveBeenCalledTimes(1);
      release.mockRestore();
      expect(Array.from(Mg.grad!.data)).toEqual(first.dM.map((x) => 2 * x));
      expect(Array.from(ag.grad!.data)).toEqual(first.da.map((x) => 2 * x));
    }
  });

  it('holds no recorded iterations once backward ran, even while its results are alive', () => {
    const { M, a, b } = randomProblem(120, 100, 22);
    // Native memory held by handles in JS: the histories still held.
    const held = () => (addon.backendInfo() as { heldBytes: number }).heldBytes;
    const kept: ot.OTResult[] = [];
    const step = (backward: boolean) => {
      const res = ot.solve(M.detach().requiresGrad_(true), a, b, { reg: 0.02, grad: 'autodiff' });
      if (backward) res.value.backward();
      kept.push(res);
      return res.nIter;
    };
    const nIter = step(true);
    const historyBytes = 8 * (120 + nIter * 220);
    const before = held();
    for (let i = 0; i < 20; i++) step(true);
    expect(held() - before).toBeLessThan(2 * historyBytes);
    for (let i = 0; i < 20; i++) step(false);  // no backward: each result keeps its history
    expect(held() - before).toBeGreaterThan(15 * historyBytes);
    expect(kept).toHaveLength(41);
  });

  it('builds the plan of a sync solve when first read: the numbers the async solve writes', async () => {
    const cases = [
      { reg: 0.05, grad: 'detach' as const },  // scaling domain
      { reg: 0.002, grad: 'detach' as const, maxIter: 300 },  // log domain
      { reg: 0.05, grad: 'autodiff' as const },
      { reg: 0.05, grad: 'last_step' as const, maxIter: 40 },
      { reg: 0.05, grad: 'envelope' as const },
      { reg: 0.05, grad: 'detach' as const, unbalanced: 0.5 },
      { reg: 0.05, grad: 'detach' as const, unbalanced: 0.5, unbalancedType: 'TV' as const },
    ];
    for (const dtype of ['float64', 'float32'] as const) {
      const { M, a, b } = randomProblem(37, 29, 31, dtype);
      for (const c of cases) {
        const made = vi.spyOn(nativeSolve, 'sinkhornPlan');
        const sync = warningsDuring(() => ot.solve(M.detach().requiresGrad_(true), a, b, c)).result;
        if (!('unbalanced' in c)) expect(made).not.toHaveBeenCalled();
        const plan = sync.plan;
        expect(sync.plan).toBe(plan);  // made once
        // Written by the solve where it is read anyway (envelope's M gradient, the unbalanced result).
        expect(made.mock.calls.length).toBe(c.grad === 'envelope' || 'unbalanced' in c ? 0 : 1);
        made.mockRestore();
        const async = (await warningsDuringAsync(() => ot.solveAsync(M, a, b, c))).result;
        expect(Array.from(plan.data), `${dtype} ${JSON.stringify(c)}`).toEqual(Array.from(async.plan.data));
        expect(sync.value.item()).toBe(async.value.item());
      }
    }
  });

  it('sinkhornPlan checks the state and M it is given', () => {
    const { M, a, b } = randomProblem(6, 5, 41);
    const fields = { M: M.data, a: a.data as Float64Array, b: b.data as Float64Array, n: 6, m: 5, reg: 0.1, regType: 'KL' as const, maxIter: 50, tol: 1e-9, record: 'none' as const };
    const lazy = nativeSolve.sinkhornSolve({ ...fields, lazyPlan: true });
    expect(lazy.plan).toBeUndefined();
    const eager = nativeSolve.sinkhornSolve(fields);
    expect(Array.from(nativeSolve.sinkhornPlan({ M: M.data, n: 6, m: 5, planState: lazy.planState! }))).toEqual(Array.from(eager.plan!));
    const plan = (o: unknown) => () => (nativeSolve.sinkhornPlan as (x: unknown) => unknown)(o);
    expectOTError(plan({ M: M.data, n: 6, m: 5, planState: {} }), 'ERR_OT_ARG');
    expectOTError(plan({ M: M.data, n: 5, m: 6, planState: lazy.planState }), 'ERR_OT_SHAPE');
    expectOTError(plan({ M: M.data.subarray(1), n: 6, m: 5, planState: lazy.planState }), 'ERR_OT_SHAPE');
    expectOTError(plan({ M: Float32Array.from(M.data), n: 6, m: 5, planState: lazy.planState }), 'ERR_OT_DTYPE');
  });

  it('last_step reports nIter = maxIter and matches autodiff at convergence', () => {
    const { M, a, b } = randomProblem(20, 25, 6);
    const r1 = ot.solve(M, a, b, { reg: 0.05, grad: 'last_step' });
    const r2 = ot.solve(M, a, b, { reg: 0.05, grad: 'autodiff' });
    expect(r1.nIter).toBe(1000);
    expectClose(r1.plan.data, r2.plan.data, { rel: 1e-7, abs: 1e-12 }, 'plan');
  });
});

// ---- gradients against finite differences ----

describe('solve: finite differences', () => {
  // A fixed number of iterations (tol = 0) so that the map being differentiated is smooth.
  const opts = { reg: 0.1, maxIter: 40, tol: 0 } as const;
  const h = 1e-6;

  function valueOf(M: ot.Tensor, a: ot.Tensor, b: ot.Tensor, regType: 'KL' | 'entropy', out: (r: ot.OTResult) => number): number {
    return warningsDuring(() => out(ot.solve(M, a, b, { ...opts, regType, grad: 'detach' }))).result;
  }

  for (const regType of ['KL', 'entropy'] as const) {
    for (const [name, out, seed] of [
      ['value', (r: ot.OTResult) => r.value.item(), (r: ot.OTResult) => r.value],
      ['valueLinear', (r: ot.OTResult) => r.valueLinear.item(), (r: ot.OTResult) => r.valueLinear],
      ['sum(logU * w)', (r: ot.OTResult) => r.potentials[0].mul(ot.tensor([1, -2, 3, 0.5, -1, 2])).sum().item(),
        (r: ot.OTResult) => r.potentials[0].mul(ot.tensor([1, -2, 3, 0.5, -1, 2])).sum()],
    ] as const) {
      it(`autodiff ${regType}: d ${name} / d(M, a, b)`, () => {
        const base = randomProblem(6, 5, 21);
        const M = base.M.detach().requiresGrad_(true);
        const a = base.a.detach().requiresGrad_(true);
        const b = base.b.detach().requiresGrad_(true);
        const res = warningsDuring(() => ot.solve(M, a, b, { ...opts, regType, grad: 'autodiff' })).result;
        seed(res).backward();
        const Md = rows(base.M);
        for (const [i, j] of [[0, 0], [2, 3], [5, 4], [3, 1]] as const) {
          const plus = Md.map((r) => [...r]);
          const minus = Md.map((r) => [...r]);
          plus[i]![j]! += h;
          minus[i]![j]! -= h;
          const fd = (valueOf(ot.tensor(plus), base.a, base.b, regType, out) - valueOf(ot.tensor(minus), base.a, base.b, regType, out)) / (2 * h);
          expect(M.grad!.data[i * 5 + j]).toBeCloseTo(fd, 6);
        }
        // Mass-preserving directions e_i - e_k keep a and b balanced.
        const shifted = (t: ot.Tensor, i: number, k: number, s: number): ot.Tensor => {
          const d = Float64Array.from(t.data);
          d[i] += s;
          d[k] -= s;
          return ot.tensor(d);
        };
        for (const [i, k] of [[0, 3], [4, 1]] as const) {
          const fda = (valueOf(base.M, shifted(base.a, i, k, h), base.b, regType, out) - valueOf(base.M, shifted(base.a, i, k, -h), base.b, regType, out)) / (2 * h);
          expect(a.grad!.data[i]! - a.grad!.data[k]!).toBeCloseTo(fda, 5);
          const fdb = (valueOf(base.M, base.a, shifted(base.b, i, k, h), regType, out) - valueOf(base.M, base.a, shifted(base.b, i, k, -h), regType, out)) / (2 * h);
          expect(b.grad!.data[i]! - b.grad!.data[k]!).toBeCloseTo(fdb, 5);
        }
      });
    }
  }

  it('autodiff through many iterations and several kernel bases (reg = 0.004)', () => {
    const base = randomProblem(14, 12, 31);
    const o = { reg: 0.004, maxIter: 120, tol: 0 };
    const M = base.M.detach().requiresGrad_(true);
    const res = warningsDuring(() => ot.solve(M, base.a, base.b, { ...o, grad: 'autodiff' })).result;
    const W = ot.rand([14, 12], { seed: 2 });
    res.plan.mul(W).sum().backward();
    const f = (Mx: number[][]): number =>
      warningsDuring(() => ot.solve(ot.tensor(Mx), base.a, base.b, { ...o, grad: 'detach' })).result.plan.mul(W).sum().item();
    const Md = rows(base.M);
    for (const [i, j] of [[0, 0], [7, 5], [13, 11]] as const) {
      const plus = Md.map((r) => [...r]);
      const minus = Md.map((r) => [...r]);
      plus[i]![j]! += 1e-7;
      minus[i]![j]! -= 1e-7;
      const fd = (f(plus) - f(minus)) / 2e-7;
      expect(M.grad!.data[i * 12 + j]! / Math.max(1, Math.abs(fd))).toBeCloseTo(fd / Math.max(1, Math.abs(fd)), 4);
    }
  });
});

// ---- async, abort ----

describe('solveAsync', () => {
  it('equals solve', async () => {
    const { M, a, b } = randomProblem(64, 48, 13);
    const s = ot.solve(M, a, b, { reg: 0.02 });
    const r = await ot.solveAsync(M, a, b, { reg: 0.02 });
    expect(Array.from(r.plan.data)).toEqual(Array.from(s.plan.data));
    expect(r.value.item()).toBe(s.value.item());
    expect(r.nIter).toBe(s.nIter);
    expect(r.status).toBe(s.status);
  });

  it('supports the gradient modes', async () => {
    const { M, a, b } = randomProblem(16, 12, 14);
    const Mg = M.detach().requiresGrad_(true);
    const r = await ot.solveAsync(Mg, a, b, { reg: 0.05, grad: 'autodiff' });
    r.value.backward();
    const Ms = M.detach().requiresGrad_(true);
    ot.solve(Ms, a, b, { reg: 0.05, grad: 'autodiff' }).value.backward();
    expect(Array.from(Mg.grad!.data)).toEqual(Array.from(Ms.grad!.data));
  });

  it('rejects with ERR_OT_ABORTED when the signal fires', async () => {
    const { M, a, b } = randomProblem(400, 400, 15);
    const ac = new AbortController();
    const p = ot.solveAsync(M, a, b, { reg: 0.0005, maxIter: 1e8, tol: 0, signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const t0 = Date.now();
    await expect(p).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('rejects at once for an aborted signal, and validates like solve', async () => {
    const { M, a, b } = randomProblem(8, 8, 16);
    const ac = new AbortController();
    ac.abort();
    await expect(ot.solveAsync(M, a, b, { reg: 0.1, signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    await expect(ot.solveAsync(M, a, b, { reg: -1 })).rejects.toMatchObject({ code: 'ERR_OT_VALUE' });
  });
});

// ---- bad input ----

describe('solve: bad input', () => {
  const { M, a, b } = randomProblem(5, 4, 17);

  it('rejects wrong shapes', () => {
    expectOTError(() => ot.solve(M, ot.unif(4), b, { reg: 1 }), 'ERR_OT_SHAPE');
    expectOTError(() => ot.solve(M, a, ot.unif(5), { reg: 1 }), 'ERR_OT_SHAPE');
    expectOTError(() => ot.solve(M.reshape([20]), a, b, { reg: 1 }), 'ERR_OT_SHAPE');
    expectOTError(() => ot.solve(M, M, b, { reg: 1 }), 'ERR_OT_SHAPE');
  });

  it('rejects bad values', () => {
    const bad = Float64Array.from(M.data);
    bad[3] = NaN;
    expectOTError(() => ot.solve(ot.tensor(bad, { shape: [5, 4] }), a, b, { reg: 1 }), 'ERR_OT_VALUE');
    expectOTError(() => ot.solve(M, ot.tensor([0.5, -0.1, 0.2, 0.2, 0.2]), b, { reg: 1 }), 'ERR_OT_VALUE');
    expectOTError(() => ot.solve(M, ot.tensor([0.2, 0.2, 0.2, 0.2, 0.3]), b, { reg: 1 }), 'ERR_OT_VALUE');
    expectOTError(() => ot.solve(M, a, b, { reg: -1 }), 'ERR_OT_VALUE');
    expectOTError(() => ot.solve(M, a, b, { reg: NaN }), 'ERR_OT_VALUE');
    expectOTError(() => ot.solve(M, a, b, { reg: 1, tol: -1 }), 'ERR_OT_VALUE');
  });

  it('rejects bad options', () => {
    // Without reg (or reg 0) the call is exact OT (test/exact.test.ts), where Sinkhorn's method is an error.
    expectOTError(() => ot.solve(M, a, b, { method: 'sinkhorn_log' }), 'ERR_OT_ARG');
    expectOTError(() => ot.solve(M, a, b, { reg: 1, maxiter: 10 } as never), 'ERR_OT_ARG');
    expectOTError(() => ot.solve(M, a, b, { reg: 1, grad: 'implicit' } as never), 'ERR_OT_ARG');
    expectOTError(() => ot.solve(M, a, b, { reg: 1, regType: 'L2', method: 'sinkhorn_log' }), 'ERR_OT_ARG');
    expectOTError(() => ot.solve(M, a, b, { reg: 1, maxIter: 1.5 }), 'ERR_OT_ARG');
    expectOTError(() => ot.solve(M, a, b, { reg: 1, maxIter: 0 }), 'ERR_OT_ARG');
    expectOTError(() => ot.solve(M, a, b, { reg: 1, signal: new AbortController().signal } as never), 'ERR_OT_ARG');
    // Nested arrays are a matrix (test/array-inputs.test.ts); other values are not.
    expectOTError(() => ot.solve('M' as never, undefined, undefined, { reg: 1 }), 'ERR_OT_ARG');
    expectOTError(() => ot.solve({ data: [[1, 2]] } as never, undefined, undefined, { reg: 1 }), 'ERR_OT_ARG');
    expect(() => ot.solve(M, a, b, { reg: 1, regType: 'kl' as never })).not.toThrow();
  });

  it("dispatches as POT's solve: every reg / regType / unbalancedType pair has a method", () => {
    const says = (f: () => unknown, re: RegExp) => expect(f).toThrow(expect.objectContaining({ code: 'ERR_OT_ARG', message: expect.stringMatching(re) }));
    expect(ot.solve(M, a, b).valueLinear.item()).toBeCloseTo(ot.emd2(a, b, M).item(), 12); // exact OT (test/exact.test.ts)
    says(() => ot.solve(M, a, b, { method: 'sinkhorn_log' }), /^solve: method applies to entropic OT/);
    for (const reg of [undefined, 1]) {
      for (const regType of ['KL', 'entropy', 'L2'] as const) {
        expect(ot.solve(M, a, b, { reg, regType }).status).toBe('converged');
        for (const unbalancedType of ['KL', 'L2', 'TV'] as const) {
          const res = ot.solve(M, a, b, { reg, regType, unbalanced: [1, 2], unbalancedType, maxIter: 100000 });
          expect(res.status, `${reg} ${regType} ${unbalancedType}`).toBe('converged');
        }
      }
    }
    says(() => ot.solve(M, a, b, { reg: 1, regType: 'L2', method: 'smooth' }), /^solve: method applies to entropic OT .*got method "smooth"/);
    says(() => ot.solve(M, a, b, { reg: 1, regType: 'l1' as never }), /regType must be 'KL', 'entropy' or 'L2'/);
    says(() => ot.solve(M, a, b, { reg: 1, method: 'emd' }), /method must be 'sinkhorn_log' for entropic OT, got "emd"/);
    const dflt = ot.solve(M, a, b, { reg: 1, grad: 'detach' });
    const named = ot.solve(M, a, b, { reg: 1, grad: 'detach', method: 'sinkhorn_log', unbalanced: null });
    expect(Array.from(named.plan.data)).toEqual(Array.from(dflt.plan.data));
  });

  it('is validated again natively', () => {
    const a64 = Float64Array.from(a.data);
    const b64 = Float64Array.from(b.data);
    const solveKeys = ['M', 'a', 'b', 'n', 'm', 'reg', 'regType', 'maxIter', 'tol', 'record'];
    const backKeys = ['M', 'a', 'b', 'n', 'm', 'reg', 'regType', 'history', 'iterations', 'directTerms', 'gValue', 'gValueLinear', 'gPlan', 'gLogU', 'gLogV', 'needM', 'lastStep'];
    const fields = (keys: string[], args: unknown[]) => Object.fromEntries(keys.map((k, i) => [k, args[i]]));
    const call = (...args: unknown[]) => () => (nativeSolve.sinkhornSolve as (o: unknown) => unknown)(fields(solveKeys, args));
    expectOTError(call(M.data, a64, b64, 5, 5, 1, 'KL', 10, 1e-9, 'none'), 'ERR_OT_SHAPE');
    expectOTError(call(M.data, a64.subarray(1), b64, 5, 4, 1, 'KL', 10, 1e-9, 'none'), 'ERR_OT_SHAPE');
    expectOTError(call(M.data, a64, b64, 5, 4, 0, 'KL', 10, 1e-9, 'none'), 'ERR_OT_VALUE');
    expectOTError(call(M.data, a64, b64, 5, 4, 1, 'KL', 2.5, 1e-9, 'none'), 'ERR_OT_ARG');
    expectOTError(call(M.data, a64, b64, 5, 4, 1, 'L2', 10, 1e-9, 'none'), 'ERR_OT_ARG');
    expectOTError(call(M.data, Float32Array.from(a64), b64, 5, 4, 1, 'KL', 10, 1e-9, 'none'), 'ERR_OT_DTYPE');
    const withFields = (extra: Record<string, unknown>) => () =>
      (nativeSolve.sinkhornSolve as (o: unknown) => unknown)({ ...fields(solveKeys, [M.data, a64, b64, 5, 4, 1, 'KL', 10, 1e-9, 'none']), ...extra });
    expectOTError(withFields({ ua: -1 }), 'ERR_OT_VALUE');
    expectOTError(withFields({ ub: 0 }), 'ERR_OT_VALUE');
    expectOTError(withFields({ ua: 1, marginal: 'L1' }), 'ERR_OT_ARG');
    expectOTError(withFields({ ua: 1, record: 'history' }), 'ERR_OT_ARG');
    expectOTError(withFields({ initU: new Float64Array(4) }), 'ERR_OT_SHAPE');
    expectOTError(withFields({ initU: new Float64Array(5).fill(NaN) }), 'ERR_OT_VALUE');
    expectOTError(withFields({ initU: new Float32Array(5) }), 'ERR_OT_DTYPE');
    const nanM = Float64Array.from(M.data);
    nanM[0] = Infinity;
    expectOTError(call(nanM, a64, b64, 5, 4, 1, 'KL', 10, 1e-9, 'none'), 'ERR_OT_VALUE');
    const negA = Float64Array.from(a64);
    negA[0] = -negA[0]!;
    expectOTError(call(M.data, negA, b64, 5, 4, 1, 'KL', 10, 1e-9, 'none'), 'ERR_OT_VALUE');
    const out = nativeSolve.sinkhornSolve({ M: M.data as Float64Array, a: a64, b: b64, n: 5, m: 4, reg: 1, regType: 'KL', maxIter: 10, tol: 1e-9, record: 'history' });
    const back = (...args: unknown[]) => () => (nativeSolve.sinkhornBackward as (o: unknown) => unknown)(fields(backKeys, args));
    const head = [M.data, a64, b64, 5, 4, 1, 'KL'];
    // The forward's history is an opaque handle, checked against the iterations it claims to hold.
    expect(out.history).not.toBeInstanceOf(Float64Array);
    expectOTError(back(...head, out.history, out.iterations + 1, true, 1, 0, null, null, null, true, false), 'ERR_OT_SHAPE');
    expectOTError(back(...head, new Float64Array(3), out.iterations, true, 1, 0, null, null, null, true, false), 'ERR_OT_SHAPE');
    expectOTError(back(...head, { length: 1 }, out.iterations, true, 1, 0, null, null, null, true, false), 'ERR_OT_ARG');
    expectOTError(back(...head, out.history, out.iterations, true, 1, 0, new Float64Array(3), null, null, true, false), 'ERR_OT_SHAPE');
    expectOTError(back(...head, out.history, out.iterations, true, 1, 0, new Float32Array(20), null, null, true, false), 'ERR_OT_DTYPE');
    expectOTError(() => (nativeSolve.sinkhornSolve as (...x: unknown[]) => unknown)(M.data, a64, b64, 5, 4, 1, 'KL', 10, 1e-9, 'none'), 'ERR_OT_ARG');
    // Released: a later backward given it fails, a second release is a no-op.
    expect(back(...head, out.history, out.iterations, true, 1, 0, null, null, null, true, false)()).toHaveLength(3);
    nativeSolve.releaseHistory(out.history!);
    nativeSolve.releaseHistory(out.history!);
    expectOTError(back(...head, out.history, out.iterations, true, 1, 0, null, null, null, true, false), 'ERR_OT_VALUE');
  });
});

// Exact OT (ot.solve without reg, ot.emd, ot.emd2): every POT fixture case of exact.json in both dtypes,
// duals by feasibility / slackness / strong duality, LP properties on random (often degenerate) problems,
// emd2's gradient against finite differences, zero weights, max_iter, async parity, abort, bad input.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';
import { resetWarnings } from '../lib/core/warnings.js';
import { nativeEmd } from '../lib/backend/native-emd.js';
import { expectClose, flat, loadFixture, tolerance } from './helpers/fixtures.js';
import { expectOTError } from './helpers/ot-error.js';

type DType = 'float32' | 'float64';
const fixture = loadFixture('exact');

function rows(t: ot.Tensor): number[][] {
  return t.toArray() as number[][];
}

/** Random points in [0, 1)^2 and their squared distances, with positive random weights (non-degenerate). */
function randomProblem(n: number, m: number, seed: number, dtype: DType = 'float64') {
  const x = ot.rand([n, 2], { seed, dtype: 'float64' });
  const y = ot.rand([m, 2], { seed: seed + 1, dtype: 'float64' });
  const M = ot.dist(x, y).to(dtype);
  const wa = ot.rand([n], { seed: seed + 2 }).add(0.5);
  const wb = ot.rand([m], { seed: seed + 3 }).add(0.5);
  return { M, a: wa.div(wa.sum().item()).to(dtype), b: wb.div(wb.sum().item()).to(dtype) };
}

/**
 * An LP optimum with its duals: plan >= 0 with marginals a and b, u_i + v_j <= M_ij everywhere, equality on
 * the plan's support, a·u + b·v = value = <M, plan>, and a basic plan (at most n + m - 1 nonzeros).
 */
function expectOptimal(M: number[][], a: number[], b: number[], plan: number[][], u: number[], v: number[], value: number, rel: number): void {
  const n = a.length;
  const m = b.length;
  const scale = Math.max(1e-300, ...M.flat().map(Math.abs));
  const mass = a.reduce((s, x) => s + x, 0);
  let linear = 0;
  let nnz = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const p = plan[i]![j]!;
      expect(p, `plan[${i}][${j}]`).toBeGreaterThanOrEqual(0);
      linear += p * M[i]![j]!;
      if (p > 0) nnz++;
      const slack = M[i]![j]! - u[i]! - v[j]!;
      expect(slack, `dual feasibility at (${i}, ${j})`).toBeGreaterThanOrEqual(-rel * scale);
      if (p > rel * mass) expect(Math.abs(slack), `complementary slackness at (${i}, ${j})`).toBeLessThanOrEqual(rel * scale);
    }
  }
  expect(nnz).toBeLessThanOrEqual(n + m - 1);
  for (let i = 0; i < n; i++) expect(Math.abs(plan[i]!.reduce((s, x) => s + x, 0) - a[i]!)).toBeLessThanOrEqual(rel * mass);
  for (let j = 0; j < m; j++) expect(Math.abs(plan.reduce((s, r) => s + r[j]!, 0) - b[j]!)).toBeLessThanOrEqual(rel * mass);
  const dual = a.reduce((s, x, i) => s + x * u[i]!, 0) + b.reduce((s, x, j) => s + x * v[j]!, 0);
  expect(Math.abs(value - linear), 'value = <M, plan>').toBeLessThanOrEqual(rel * scale * mass);
  expect(Math.abs(value - dual), 'strong duality a·u + b·v = value').toBeLessThanOrEqual(rel * scale * mass);
}

const nonZeros = (p: number[][]): number => p.flat().filter((x) => x > 0).length;

describe('exact OT fixtures (POT: ot.solve without reg)', () => {
  const solveCases = fixture.cases.filter((c) => c.kind === 'solve');
  for (const dtype of ['float64', 'float32'] as const) {
    const tol = tolerance(dtype);
    for (const c of solveCases) {
      const n = c.a.length;
      const m = c.b.length;
      it(`solve ${c.metric} ${n}x${m} ${dtype}`, () => {
        const M = ot.tensor(c.M, { dtype, requiresGrad: true });
        const a = ot.tensor(c.a, { dtype, requiresGrad: true });
        const b = ot.tensor(c.b, { dtype, requiresGrad: true });
        const res = ot.solve(M, a, b);
        expect(res.status).toBe('converged');
        expect(res.value.dtype).toBe(dtype);
        expect(res.plan.dtype).toBe(dtype);
        expect(res.potentials[0].dtype).toBe(dtype);
        expectClose([res.value.item()], [c.value], tol, 'value');
        expectClose([res.valueLinear.item()], [c.value_linear], tol, 'valueLinear');
        expectClose(res.plan.data, flat(c.plan), tol, 'plan');
        const [u, v] = res.potentials.map((p) => Array.from(p.data));
        expectOptimal(c.M, c.a, c.b, rows(res.plan), u!, v!, res.value.item(), dtype === 'float64' ? 1e-9 : 1e-4);
        // A non-degenerate basis (n + m - 1 positive entries) has unique duals up to a constant, which
        // POT's centring fixes: then they compare entry-wise, else only by the properties above.
        const unique = nonZeros(c.plan) === n + m - 1;
        if (unique) {
          expectClose(u!, c.potentials[0], tol, 'u');
          expectClose(v!, c.potentials[1], tol, 'v');
        }
        res.value.backward();
        expectClose(M.grad!.data, flat(c.grad_value.M), tol, 'd value / dM');
        const centred = (x: number[]) => x.map((e) => e - x.reduce((s, y) => s + y, 0) / x.length);
        expectClose(a.grad!.data, centred(u!), tol, 'd value / da = u - mean(u)');
        expectClose(b.grad!.data, centred(v!), tol, 'd value / db = v - mean(v)');
        if (unique) {
          expectClose(a.grad!.data, c.grad_value.a, tol, 'd value / da (POT)');
          expectClose(b.grad!.data, c.grad_value.b, tol, 'd value / db (POT)');
        }
      });
    }
  }

  for (const c of fixture.cases.filter((k) => k.kind === 'solve_ties')) {
    it(`solve with ties ${c.a.length}x${c.b.length}: value and marginals (many optimal plans)`, () => {
      const res = ot.solve(ot.tensor(c.M), ot.tensor(c.a), ot.tensor(c.b));
      expectClose([res.value.item()], [c.value], tolerance('float64'), 'value');
      const [u, v] = res.potentials.map((p) => Array.from(p.data));
      expectOptimal(c.M, c.a, c.b, rows(res.plan), u!, v!, res.value.item(), 1e-9);
    });
  }

  it('covers every solve and solve_ties case of the fixture', () => {
    expect(solveCases.length).toBe(10);
    expect(fixture.cases.filter((k) => k.kind === 'solve_ties').length).toBe(2);
  });
});

describe('exact OT properties', () => {
  // Integer costs and weights with zeros: ties and degenerate bases are the rule, not the exception.
  const problem = fc.record({ n: fc.integer({ min: 1, max: 9 }), m: fc.integer({ min: 1, max: 9 }), seed: fc.integer({ min: 0, max: 1e6 }) })
    .chain(({ n, m }) => fc.record({
      M: fc.array(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: m, maxLength: m }), { minLength: n, maxLength: n }),
      a: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: n, maxLength: n }).filter((w) => w.some((x) => x > 0)),
      b: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: m, maxLength: m }).filter((w) => w.some((x) => x > 0)),
    }));

  it('marginals, plan >= 0, value = <M, plan> = a·u + b·v, at most n + m - 1 nonzeros, feasible duals', () => {
    fc.assert(fc.property(problem, ({ M, a, b }) => {
      const sa = a.reduce((s, x) => s + x, 0);
      const sb = b.reduce((s, x) => s + x, 0);
      const an = a.map((x) => x / sa);
      const bn = b.map((x) => x / sb);
      const res = ot.solve(ot.tensor(Float64Array.from(M.flat()), { shape: [a.length, b.length] }), ot.tensor(an), ot.tensor(bn));
      expect(res.status).toBe('converged');
      const [u, v] = res.potentials.map((p) => Array.from(p.data));
      expectOptimal(M, an, bn, rows(res.plan), u!, v!, res.value.item(), 1e-10);
      // ot.emd and ot.emd2 solve the same problem.
      expect(ot.emd2(ot.tensor(an), ot.tensor(bn), ot.tensor(M)).item()).toBeCloseTo(res.value.item(), 12);
    }), { numRuns: 150, seed: 12 });
  });

  it('float32 and float64 inputs agree (solved in float64 either way)', () => {
    for (const seed of [1, 2, 3]) {
      const p64 = randomProblem(15, 11, seed);
      const r64 = ot.solve(p64.M, p64.a, p64.b);
      const r32 = ot.solve(p64.M.to('float32'), p64.a.to('float32'), p64.b.to('float32'));
      expect(r32.plan.dtype).toBe('float32');
      expectClose([r32.value.item()], [r64.value.item()], tolerance('float32'), 'value');
      expectClose(r32.plan.data, r64.plan.data, tolerance('float32'), 'plan');
    }
  });
});

describe('exact OT gradients (POT: emd2)', () => {
  const value = (M: ot.Tensor, a: ot.Tensor, b: ot.Tensor): number => ot.emd2(a, b, M).item();

  it('match central finite differences on a non-degenerate problem', () => {
    const { M, a, b } = randomProblem(7, 6, 40);
    const Mg = M.detach().requiresGrad_();
    const ag = a.detach().requiresGrad_();
    const bg = b.detach().requiresGrad_();
    const W = ot.emd2(ag, bg, Mg);
    W.backward();
    expect(nonZeros(rows(ot.emd(a, b, M)))).toBe(7 + 6 - 1);
    const h = 1e-7;
    const shifted = (t: ot.Tensor, f: (d: Float64Array) => void): ot.Tensor => {
      const d = Float64Array.from(t.data);
      f(d);
      return ot.tensor(d, { shape: t.shape });
    };
    for (const [i, j] of [[0, 0], [2, 3], [6, 5], [4, 1]] as const) {
      const k = i * 6 + j;
      const fd = (value(shifted(M, (d) => (d[k]! += h)), a, b) - value(shifted(M, (d) => (d[k]! -= h)), a, b)) / (2 * h);
      expect(Mg.grad!.data[k]).toBeCloseTo(fd, 7);
    }
    // Mass-preserving directions e_i - e_k: the change is u_i - u_k, whatever constant the duals carry.
    for (const [i, k] of [[0, 1], [3, 6], [5, 2]] as const) {
      const step = (s: number) => (d: Float64Array) => { d[i]! += s; d[k]! -= s; };
      const fdA = (value(M, shifted(a, step(h)), b) - value(M, shifted(a, step(-h)), b)) / (2 * h);
      expect(ag.grad!.data[i]! - ag.grad!.data[k]!).toBeCloseTo(fdA, 6);
      const kb = Math.min(k, 5);
      const fdB = (value(M, a, shifted(b, (d) => { d[i % 6]! += h; d[kb]! -= h; })) - value(M, a, shifted(b, (d) => { d[i % 6]! -= h; d[kb]! += h; }))) / (2 * h);
      expect(bg.grad!.data[i % 6]! - bg.grad!.data[kb]!).toBeCloseTo(fdB, 6);
    }
    // POT's centring of the gradient: mean zero.
    expect(Math.abs(ag.grad!.data.reduce((s, x) => s + x, 0))).toBeLessThan(1e-12);
  });

  it("reach M through ot.dist, scale with the incoming gradient, and stop with grad 'detach'", () => {
    const x = ot.rand([8, 2], { seed: 3, requiresGrad: true });
    const y = ot.rand([9, 2], { seed: 4 });
    const res = ot.solve(ot.dist(x, y));
    res.value.mul(3).backward();
    expect(x.grad).not.toBeNull();
    const M = ot.dist(x.detach(), y).requiresGrad_();
    ot.solve(M).valueLinear.mul(3).backward();
    expectClose(M.grad!.data, res.plan.mul(3).data, tolerance('float64'), 'dM = 3 plan');
    const Md = M.detach().requiresGrad_();
    const detached = ot.solve(Md, undefined, undefined, { grad: 'detach' });
    expect(detached.value.requiresGrad).toBe(false);
    expect(ot.emd(undefined, undefined, Md).requiresGrad).toBe(false);
  });
});

describe('exact OT edge cases', () => {
  it('leaves zero-weight rows and columns empty and gives them feasible duals (POT: estimate_dual_null_weights)', () => {
    const { M } = randomProblem(6, 5, 9);
    const a = ot.tensor([0.3, 0, 0.2, 0.5, 0, 0]);
    const b = ot.tensor([0, 0.4, 0.1, 0.5, 0]);
    const res = ot.solve(M, a, b);
    const plan = rows(res.plan);
    for (const i of [1, 4, 5]) expect(plan[i]!.every((x) => x === 0)).toBe(true);
    for (const j of [0, 4]) expect(plan.every((r) => r[j] === 0)).toBe(true);
    const [u, v] = res.potentials.map((p) => Array.from(p.data));
    expectOptimal(rows(M), Array.from(a.data), Array.from(b.data), plan, u!, v!, res.value.item(), 1e-10);
  });

  it("stops at maxIter with status 'max_iter' and one warning per call site", () => {
    resetWarnings();
    const { M, a, b } = randomProblem(40, 40, 5);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    for (let k = 0; k < 3; k++) {
      const res = ot.solve(M, a, b, { maxIter: 3 });
      expect(res.status).toBe('max_iter');
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![1]).toMatchObject({ code: 'OT_EMD_MAX_ITER' });
    expect(ot.solve(M, a, b).status).toBe('converged');
    warn.mockRestore();
  });

  it("follows POT's mass rule: |sum(a) - sum(b)| < 1.5e-6, b scaled to a's mass", () => {
    const { M } = randomProblem(3, 3, 1);
    const a = ot.tensor([0.2, 0.3, 0.5]);
    const close = ot.solve(M, a, ot.tensor([0.2, 0.3, 0.5 + 1e-6]));
    expect(close.plan.sum().item()).toBeCloseTo(1, 15);
    expectOTError(() => ot.solve(M, a, ot.tensor([0.2, 0.3, 0.5 + 2e-6])), 'ERR_OT_VALUE',
      /^solve: a and b must have the same total mass .*got sum\(a\) = 1 and sum\(b\) = 1\.00000199/);
    expectOTError(() => ot.emd2(ot.tensor([0, 0, 0]), ot.tensor([0, 0, 0]), M), 'ERR_OT_VALUE', /^emd2: a and b must have a positive total mass/);
    // Unnormalised but equal masses are fine (POT too).
    expect(ot.emd2(ot.tensor([2, 3, 5]), ot.tensor([5, 3, 2]), M).item()).toBeCloseTo(10 * ot.emd2(ot.tensor([0.2, 0.3, 0.5]), ot.tensor([0.5, 0.3, 0.2]), M).item(), 12);
  });

  it('rejects bad input with a coded error naming the argument', () => {
    const { M, a, b } = randomProblem(4, 3, 2);
    expectOTError(() => ot.solve(M, ot.tensor([0.5, 0.5, 0.5, -0.5]), b), 'ERR_OT_VALUE', /a/);
    expectOTError(() => ot.solve(M, ot.tensor([0.5, 0.5]), b), 'ERR_OT_SHAPE', /^solve: a has 2 entries but M has 4 rows/);
    expectOTError(() => ot.emd(a, b, ot.tensor([[0, NaN, 1], [1, 1, 1], [1, 1, 1], [1, 1, 1]])), 'ERR_OT_VALUE', /M/);
    expectOTError(() => ot.emd(a, b, ot.tensor([1, 2, 3])), 'ERR_OT_SHAPE');
    expectOTError(() => ot.emd(a, b, M, { maxIter: 0 }), 'ERR_OT_ARG', /maxIter/);
    expectOTError(() => ot.emd2(a, b, M, { maxIter: 1.5 }), 'ERR_OT_ARG', /maxIter/);
    expectOTError(() => ot.emd2(a, b, M, { numItermax: 10 } as never), 'ERR_OT_ARG', /unknown option 'numItermax'/);
    expectOTError(() => ot.solve(M, a, b, { maxIter: -1 }), 'ERR_OT_ARG', /maxIter/);
    expectOTError(() => ot.solve(M, a, b, { grad: 'implicit' as never }), 'ERR_OT_ARG', /grad/);
    expectOTError(() => ot.solve(M, a, b, { regType: 'l1' as never }), 'ERR_OT_ARG', /regType/);
    expect(ot.solve(M, a, b, { reg: 0, regType: 'entropy', tol: 1 }).status).toBe('converged'); // read and ignored, as POT
  });

  it('is validated again natively (the raw emdSolve / emdBatch exports)', () => {
    const M = new Float64Array([0, 1, 1, 0]);
    const w = new Float64Array([0.5, 0.5]);
    const raw = (o: Record<string, unknown>) => () => nativeEmd.emdSolve({ M, a: w, b: w, n: 2, m: 2, maxIter: 10, ...o } as never);
    expectOTError(raw({ b: new Float64Array([1, 1]) }), 'ERR_OT_VALUE', /^emd: a and b must have the same total mass, got sum\(a\) = 1 and sum\(b\) = 2$/);
    expectOTError(raw({ a: new Float32Array([0.5, 0.5]) }), 'ERR_OT_DTYPE', /a must be a Float64Array/);
    expectOTError(raw({ a: new Float64Array([1.5, -0.5]) }), 'ERR_OT_VALUE', /a must be >= 0, but entry 1 is -0.5/);
    expectOTError(raw({ M: new Float64Array([0, 1, NaN, 0]) }), 'ERR_OT_VALUE', /M/);
    expectOTError(raw({ maxIter: 0 }), 'ERR_OT_ARG', /maxIter/);
    expectOTError(raw({ n: 3 }), 'ERR_OT_SHAPE');
    expect(nativeEmd.emdSolve({ M, a: w, b: w, n: 2, m: 2, maxIter: 10 }).value).toBe(0);
    const batch = nativeEmd.emdBatch({ M: new Float64Array([0, 1, 1, 0, 1, 0, 0, 1]), a: new Float64Array([0.5, 0.5, 0.5, 0.5]), b: new Float64Array([0.5, 0.5, 0.5, 0.5]), B: 2, n: 2, m: 2, maxIter: 10 });
    expect(Array.from(batch.value)).toEqual([0, 0]);
    expect(Array.from(batch.status)).toEqual([0, 0]);
    expectOTError(() => nativeEmd.emdBatch({ M, a: w, b: new Float64Array([0.5, 0.6]), B: 1, n: 2, m: 2, maxIter: 10 }), 'ERR_OT_VALUE', /same total mass/);
  });

  it('emd2 makes no n x m plan unless M needs a gradient', () => {
    const { M, a, b } = randomProblem(12, 9, 31);
    const spy = vi.spyOn(nativeEmd, 'emdSolve');
    const plain = ot.emd2(a.detach().requiresGrad_(), b, M);
    expect(spy.mock.results[0]!.value.plan).toBeNull();
    const Mg = M.detach().requiresGrad_();
    const withGrad = ot.emd2(a, b, Mg);
    expect(spy.mock.results[1]!.value.plan).not.toBeNull();
    spy.mockRestore();
    expect(plain.item()).toBe(withGrad.item());
    plain.backward(); // a's gradient needs the duals only
    withGrad.backward();
    expect(Array.from(Mg.grad!.data)).toEqual(Array.from(ot.emd(a, b, M).data));
  });

  it('solves 1 x m, n x 1 and 1 x 1 problems', () => {
    const one = ot.solve(ot.tensor([[2, 1, 3]]), ot.tensor([1]), ot.tensor([0.2, 0.5, 0.3]));
    expect(Array.from(one.plan.data)).toEqual([0.2, 0.5, 0.3]);
    expect(one.value.item()).toBeCloseTo(0.4 + 0.5 + 0.9, 14);
    expect(ot.solve(ot.tensor([[4]])).value.item()).toBe(4);
    expect(Array.from(ot.emd(undefined, undefined, ot.tensor([[1], [2]])).data)).toEqual([0.5, 0.5]);
  });
});

describe('exact OT async', () => {
  it('solveAsync, emdAsync and emd2Async give the sync results', async () => {
    const { M, a, b } = randomProblem(30, 25, 11);
    const sync = ot.solve(M, a, b);
    const res = await ot.solveAsync(M, a, b);
    expect(Array.from(res.plan.data)).toEqual(Array.from(sync.plan.data));
    expect(Array.from(res.potentials[0].data)).toEqual(Array.from(sync.potentials[0].data));
    expect(res.value.item()).toBe(sync.value.item());
    expect(Array.from((await ot.emdAsync(a, b, M)).data)).toEqual(Array.from(ot.emd(a, b, M).data));
    const Mg = M.detach().requiresGrad_();
    const W = await ot.emd2Async(a, b, Mg, { maxIter: 100000 });
    expect(W.item()).toBe(ot.emd2(a, b, M).item());
    W.backward();
    expect(Array.from(Mg.grad!.data)).toEqual(Array.from(sync.plan.data));
  });

  it('rejects with ERR_OT_ABORTED when the signal fires, before or during the solve', async () => {
    const { M, a, b } = randomProblem(10, 10, 3);
    const ac = new AbortController();
    ac.abort();
    await expect(ot.emd2Async(a, b, M, { signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    await expect(ot.solveAsync(M, a, b, { signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    const big = randomProblem(1500, 1500, 8);
    const late = new AbortController();
    const started = performance.now();
    const pending = ot.solveAsync(big.M, big.a, big.b, { signal: late.signal });
    setTimeout(() => late.abort(), 5);
    await expect(pending).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    expect(performance.now() - started).toBeLessThan(5000);
    await expect(ot.emd2Async(a, b, M, { signal: 'x' } as never)).rejects.toMatchObject({ code: 'ERR_OT_ARG' });
  });

  it('copies its inputs: writing into them while the solve runs changes nothing', async () => {
    const { M, a, b } = randomProblem(300, 300, 21);
    const want = ot.emd2(a, b, M).item();
    const Mc = ot.tensor(Float64Array.from(M.data), { shape: M.shape });
    const pending = ot.emd2Async(a, b, Mc);
    Mc.data.fill(0);
    expect((await pending).item()).toBe(want);
  });
});

// ot.solve with `unbalanced` (POT: sinkhorn_knopp_unbalanced, mm_unbalanced, lbfgsb_unbalanced) and
// reg annealing (epsScaling): POT's fixtures, the TV cases against POT's own objective, finite
// differences of the envelope gradients, mass properties, async parity and bad input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { expectClose, flat, loadFixture } from './helpers/fixtures.js';
import { expectOTError } from './helpers/ot-error.js';

const fixture = loadFixture('unbalanced_solve');
type Case = (typeof fixture.cases)[number];

function optsOf(c: Case): ot.SolveOptions {
  return {
    reg: c.reg ?? undefined, regType: c.reg_type, unbalanced: c.unbalanced ?? undefined, unbalancedType: c.unbalanced_type ?? undefined,
  };
}

/** POT's objective (lbfgsb_unbalanced's _func) evaluated at a plan, in float64. */
function objective(c: Case, P: number[][]): number {
  const a: number[] = c.a;
  const b: number[] = c.b;
  const M: number[][] = c.M;
  const reg: number = c.reg ?? 0;
  const lam: number = c.unbalanced ?? 0;
  let v = 0;
  const r = a.map(() => 0);
  const col = b.map(() => 0);
  P.forEach((row, i) => row.forEach((p, j) => {
    v += p * M[i]![j]!;
    r[i] += p;
    col[j] += p;
    // POT's balanced L2 (smooth_ot_dual) regularises ||P||^2; its unbalanced one ||P - a b^T||^2.
    const q = c.unbalanced === null && c.reg_type === 'L2' ? 0 : a[i]! * b[j]!;
    if (reg > 0) {
      if (c.reg_type === 'KL') v += reg * (p * Math.log(p / q + 1e-16) - p + q);
      else if (c.reg_type === 'entropy') v += reg * (p * Math.log(p + 1e-16) - p);
      else v += (reg * (p - q) ** 2) / 2;
    }
  }));
  const pen = (x: number[], w: number[]): number => x.reduce((s, xi, i) => {
    const wi = w[i]!;
    if (c.unbalanced_type === 'TV') return s + Math.abs(xi - wi);
    if (c.unbalanced_type === 'L2') return s + (xi - wi) ** 2 / 2;
    return s + xi * Math.log(xi / wi + 1e-16) - xi + wi;
  }, 0);
  return v + lam * (pen(r, a) + pen(col, b));
}

/**
 * The dual objective of the L2-regularised problems at (alpha, beta): sum_ij h(alpha_i + beta_j - M_ij)
 * plus the marginal penalties' conjugate terms (balanced and TV: a . alpha; KL: ua a (1 - exp(-alpha / ua))).
 */
function dualValue(c: Case, al: number[], be: number[]): number {
  const reg: number = c.reg;
  const balanced = c.unbalanced === null;
  let v = 0;
  c.M.forEach((row: number[], i: number) => row.forEach((Mij, j) => {
    const q = balanced ? 0 : c.a[i] * c.b[j];
    const z = al[i]! + be[j]! - Mij;
    const P = Math.max(0, q + z / reg);
    v += -z * P + (reg / 2) * (P - q) ** 2;
  }));
  const conj = (pot: number[], w: number[]): number => pot.reduce((s, x, i) => {
    if (c.unbalanced_type === 'KL' && !balanced) return s + c.unbalanced * w[i]! * (1 - Math.exp(-x / c.unbalanced));
    return s + x * w[i]!;
  }, 0);
  return v + conj(al, c.a) + conj(be, c.b);
}

describe('unbalanced_solve.json (POT master)', () => {
  for (const [k, c] of fixture.cases.entries()) {
    const label = `case ${k}: reg ${c.reg} ${c.reg_type}, unbalanced ${c.unbalanced} ${c.unbalanced_type}`;
    it(label, () => {
      const M = ot.tensor(c.M);
      const a = ot.tensor(c.a);
      const b = ot.tensor(c.b);
      const res = ot.solve(M, a, b, optsOf(c));
      const P = res.plan.toArray() as number[][];
      // The reported value is the objective at the returned plan.
      expect(Math.abs(res.value.item() - objective(c, P))).toBeLessThan(1e-9 * Math.max(1, Math.abs(res.value.item())));
      if (c.reg_type === 'L2' && c.reg !== null && c.unbalanced_type !== 'L2') {
        // The dual ascent's certificate: no duality gap, so the plan is the optimum (POT's L-BFGS-B
        // stops at its own tolerance, its plan up to ~1e-4 off the marginals).
        const [al, be] = res.potentials.map((t) => flat(t.toArray()));
        expect(Math.abs(res.value.item() - dualValue(c, al!, be!))).toBeLessThan(1e-10);
      }
      if (c.unbalanced === null) {
        // POT's ot.solve minimises <M, P> + reg/2 ||P||^2 (smooth_ot_dual) but reports value_linear +
        // reg ||P||^2: its value is ours plus reg/2 ||P||^2. Its grad_value.M is its plan (the
        // envelope gradient of the objective it minimises), a and b have none.
        const sq = flat(P).reduce((s, x) => s + x * x, 0);
        expect(Math.abs(res.valueLinear.item() + c.reg * sq - c.value)).toBeLessThanOrEqual(5e-4 * c.value);
        // POT's plan misses the marginals by up to 7e-5 (its dual has a lower value than ours).
        expect(dualValue(c, c.potentials[0], c.potentials[1])).toBeLessThanOrEqual(res.value.item() + 1e-12);
        expectClose(P, c.plan, { rel: 1e-3, abs: 0 }, `${label} plan`);
        expectClose(flat(P), flat(c.grad_value.M), { rel: 1e-3, abs: 0 }, `${label} dM`);
        // The potentials agree up to the constant the balanced dual cannot see.
        const [al, be] = res.potentials.map((t) => flat(t.toArray()));
        const shift = al![0]! - c.potentials[0][0];
        expectClose(al!.map((x) => x - shift), c.potentials[0], { rel: 0, abs: 1e-4 }, 'alpha');
        expectClose(be!.map((x) => x + shift), c.potentials[1], { rel: 0, abs: 1e-4 }, 'beta');
        return;
      }
      if (c.unbalanced_type === 'TV') {
        // POT's L-BFGS-B stops short on the non-smooth TV objective: our plan is strictly better
        // under POT's own objective, and its value never worse than POT's.
        expect(res.value.item()).toBeLessThanOrEqual(objective(c, c.plan) + 1e-12);
        expect(res.value.item()).toBeLessThanOrEqual(c.value + 1e-9);
        return;
      }
      // KL + KL: POT's `value` drops the mass terms of its KLs; value_generalized is the objective.
      const want = c.value_generalized ?? c.value;
      if (c.reg_type === 'L2' && c.unbalanced_type === 'KL' && Math.abs(res.value.item() - want) > 1e-5 * Math.abs(want)) {
        // Certified optimal above (no duality gap): POT's L-BFGS-B stopped early (case 19: 7e-4 above
        // the optimum, its plan 6% off), so only its objective bounds ours.
        expect(res.value.item()).toBeLessThan(objective(c, c.plan));
        expect(Math.abs(res.value.item() - want)).toBeLessThanOrEqual(1e-3 * Math.abs(want));
        return;
      }
      expect(Math.abs(res.value.item() - want)).toBeLessThanOrEqual(1e-5 * Math.abs(want));
      expect(Math.abs(res.valueLinear.item() - c.value_linear)).toBeLessThanOrEqual(1e-4 * Math.abs(c.value_linear));
      // Where POT ran L-BFGS-B (all but KL + KL and the MM cases), its plan is as loose as its stopping
      // rule on a flat objective: a plan off by more than 1e-4 must then be the better optimum.
      const lbfgsb = c.reg !== null && !(c.reg_type === 'KL' && c.unbalanced_type === 'KL') && !(c.reg_type === 'L2' && c.unbalanced_type === 'L2');
      const scale = Math.max(...flat(c.plan).map(Math.abs));
      const off = Math.max(...flat(P).map((x, i) => Math.abs(x - flat(c.plan)[i]!))) / scale;
      if (lbfgsb && off > 1e-4) {
        expect(objective(c, P)).toBeLessThan(objective(c, c.plan));
        expectClose(P, c.plan, { rel: 1e-3, abs: 0 }, `${label} plan`);
      } else {
        expectClose(P, c.plan, { rel: 1e-4, abs: 0 }, `${label} plan`);
      }
    });
  }

  // POT differentiates through its 1000 MM iterations, which mostly stop short of the optimum (and
  // exact unbalanced plans need not be unique): its dM then differs from the plan by up to 30%. Where
  // its iterations did converge — its dM is its plan — the envelope gradient must match it. (The
  // envelope gradients are checked against finite differences below.)
  it('exact KL / L2 cases where POT\'s iterations converged: the envelope gradients match POT', () => {
    const converged = fixture.cases.filter((x) => x.grad_value && x.unbalanced !== null)
      .filter((x) => Math.max(...flat(x.grad_value.M).map((g, i) => Math.abs(g - flat(x.plan)[i]!))) < 1e-5 * Math.max(...flat(x.plan)));
    expect(converged.length).toBeGreaterThanOrEqual(2);
    for (const c of converged) {
      const M = ot.tensor(c.M, { requiresGrad: true });
      const a = ot.tensor(c.a, { requiresGrad: true });
      const b = ot.tensor(c.b, { requiresGrad: true });
      const res = ot.solve(M, a, b, optsOf(c));
      res.value.backward();
      expectClose(flat(M.grad!.toArray()), flat(c.grad_value.M), { rel: 1e-5, abs: 0 }, 'dM');
      expectClose(flat(a.grad!.toArray()), c.grad_value.a, { rel: 1e-5, abs: 0 }, 'da');
      expectClose(flat(b.grad!.toArray()), c.grad_value.b, { rel: 1e-5, abs: 0 }, 'db');
    }
  });

  it('KL + KL potentials: POT\'s log u is ours minus log a (its kernel carries a b^T)', () => {
    const c = fixture.cases.find((x) => x.reg !== null && x.reg_type === 'KL' && x.unbalanced_type === 'KL')!;
    const res = ot.solve(ot.tensor(c.M), ot.tensor(c.a), ot.tensor(c.b), optsOf(c));
    const [u, v] = res.potentials;
    expectClose(flat(u.toArray()).map((x, i) => x - Math.log(c.a[i])), c.potentials[0], { rel: 1e-6, abs: 1e-8 }, 'log u');
    expectClose(flat(v.toArray()).map((x, j) => x - Math.log(c.b[j])), c.potentials[1], { rel: 1e-6, abs: 1e-8 }, 'log v');
  });

  it('float32: KL + KL and exact KL within 1e-4', () => {
    for (const c of fixture.cases.filter((x) => x.unbalanced_type === 'KL' && x.reg_type === 'KL')) {
      const res = ot.solve(ot.tensor(c.M, { dtype: 'float32' }), ot.tensor(c.a), ot.tensor(c.b), optsOf(c));
      const want = c.value_generalized ?? c.value;
      expect(res.plan.dtype).toBe('float32');
      expect(Math.abs(res.value.item() - want)).toBeLessThanOrEqual(1e-4 * Math.abs(want));
    }
  });
});

// ---- small random problems ----

function problem(n: number, m: number, seed: number) {
  const x = ot.rand([n, 2], { seed, dtype: 'float64' });
  const y = ot.rand([m, 2], { seed: seed + 7, dtype: 'float64' });
  const M = ot.dist(x, y).detach();
  const a = ot.rand([n], { seed: seed + 1, dtype: 'float64' }).add(0.2);
  const b = ot.rand([m], { seed: seed + 2, dtype: 'float64' }).add(0.2).mul(0.5);
  return { M, a, b };
}

function valueAt(M: number[], a: number[], b: number[], n: number, m: number, opts: ot.SolveOptions): number {
  return ot.solve(ot.tensor(Float64Array.from(M)).reshape([n, m]), ot.tensor(a), ot.tensor(b), { ...opts, grad: 'detach' }).value.item();
}

describe('envelope gradients against finite differences', () => {
  const settings: [string, ot.SolveOptions][] = [
    ['KL + KL', { reg: 0.2, unbalanced: [0.7, 1.3], tol: 1e-14, maxIter: 100000 }],
    ['entropy + KL', { reg: 0.2, regType: 'entropy', unbalanced: 0.5, tol: 1e-14, maxIter: 100000 }],
    ['KL + TV', { reg: 0.2, unbalanced: 0.05, unbalancedType: 'TV', tol: 1e-14, maxIter: 100000 }],
    ['entropy + TV', { reg: 0.2, regType: 'entropy', unbalanced: 0.05, unbalancedType: 'TV', tol: 1e-14, maxIter: 100000 }],
    ['KL + L2', { reg: 0.2, unbalanced: [0.7, 3], unbalancedType: 'L2', tol: 1e-14, maxIter: 100000 }],
    ['entropy + L2', { reg: 0.2, regType: 'entropy', unbalanced: 0.5, unbalancedType: 'L2', tol: 1e-14, maxIter: 100000 }],
    ['KL + [exact, KL]', { reg: 0.2, unbalanced: [Infinity, 0.4], tol: 1e-14, maxIter: 100000 }],
    ['entropy + [TV, exact]', { reg: 0.2, regType: 'entropy', unbalanced: [0.05, Infinity], unbalancedType: 'TV', tol: 1e-14, maxIter: 100000 }],
    ['L2 + L2 (MM)', { reg: 0.2, regType: 'L2', unbalanced: 0.8, unbalancedType: 'L2', tol: 1e-15, maxIter: 200000 }],
    ['exact KL (MM)', { unbalanced: 0.6, tol: 1e-15, maxIter: 200000 }],
    ['exact TV (network simplex)', { unbalanced: 0.3, unbalancedType: 'TV' }],
    ['exact [TV 0.05, 0.4] (network simplex)', { unbalanced: [0.05, 0.4], unbalancedType: 'TV' }],
    ['L2 + KL (dual ascent)', { reg: 0.2, regType: 'L2', unbalanced: [0.7, 1.3], tol: 1e-14 }],
    ['L2 + TV (dual ascent)', { reg: 0.2, regType: 'L2', unbalanced: 0.05, unbalancedType: 'TV', tol: 1e-14 }],
    ['L2 + [TV 0.4, 0.05] (dual ascent)', { reg: 0.05, regType: 'L2', unbalanced: [0.4, 0.05], unbalancedType: 'TV', tol: 1e-14 }],
  ];
  for (const [name, opts] of settings) {
    it(name, () => {
      const n = 4;
      const m = 3;
      const { M, a, b } = problem(n, m, 11);
      const Mt = M.detach().requiresGrad_();
      const at = a.detach().requiresGrad_();
      const bt = b.detach().requiresGrad_();
      const res = ot.solve(Mt, at, bt, { ...opts, grad: 'envelope' });
      res.value.backward();
      const h = 1e-6;
      const Mv = flat(M.toArray());
      const av = flat(a.toArray());
      const bv = flat(b.toArray());
      const fd = (which: 'M' | 'a' | 'b', k: number): number => {
        const shift = (d: number): number => {
          const M2 = [...Mv];
          const a2 = [...av];
          const b2 = [...bv];
          (which === 'M' ? M2 : which === 'a' ? a2 : b2)[k] += d;
          return valueAt(M2, a2, b2, n, m, opts);
        };
        return (shift(h) - shift(-h)) / (2 * h);
      };
      const check = (got: number[], which: 'M' | 'a' | 'b'): void => {
        got.forEach((g, k) => expect(Math.abs(g - fd(which, k)), `${name} d${which}[${k}]`).toBeLessThan(2e-5 * Math.max(1, Math.abs(g))));
      };
      check(flat(Mt.grad!.toArray()), 'M');
      check(flat(at.grad!.toArray()), 'a');
      check(flat(bt.grad!.toArray()), 'b');
    });
  }
});

describe('mass properties', () => {
  it('KL + KL: value >= valueLinear, the plan is >= 0, and ua, ub -> Infinity approaches the balanced plan', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0.01, max: 10, noNaN: true }), (seed, lam) => {
      const { M, a, b } = problem(5, 4, seed);
      const res = ot.solve(M, a, b, { reg: 0.1, unbalanced: lam });
      expect(res.value.item()).toBeGreaterThanOrEqual(res.valueLinear.item() - 1e-12);
      expect(flat(res.plan.toArray()).every((p) => p >= 0)).toBe(true);
    }), { numRuns: 20 });
    const { M, a } = problem(5, 4, 3);
    const b = ot.tensor(ot.rand([4], { seed: 9, dtype: 'float64' }).add(0.2).toArray() as number[]);
    const bb = b.mul(a.sum().item() / b.sum().item());
    const balanced = ot.solve(M, a, bb, { reg: 0.1, tol: 1e-13 });
    const nearly = ot.solve(M, a, bb, { reg: 0.1, unbalanced: 1e7, tol: 1e-13, maxIter: 100000 });
    expectClose(nearly.plan.toArray() as number[][], balanced.plan.toArray() as number[][], { rel: 1e-5, abs: 0 }, 'plan');
  });

  it('[ua, Infinity] keeps the rows exact: plan 1 = a, while the columns are penalised', () => {
    for (const type of ['KL', 'TV', 'L2'] as const) {
      const { M, a, b } = problem(5, 4, 21);
      const res = ot.solve(M, a, b, { reg: 0.1, unbalanced: [Infinity, 0.3], unbalancedType: type, tol: 1e-13, maxIter: 100000 });
      const P = res.plan.toArray() as number[][];
      expectClose(P.map((row) => row.reduce((s, p) => s + p, 0)), flat(a.toArray()), { rel: 1e-9, abs: 0 }, `${type} rows`);
      const cols = P[0]!.map((_, j) => P.reduce((s, row) => s + row[j]!, 0));
      expect(Math.abs(cols.reduce((s, x) => s + x, 0) - a.sum().item())).toBeLessThan(1e-9);
    }
  });

  it('TV: each marginal only shrinks for the cost it saves (plan 1 <= a when creating mass cannot pay)', () => {
    const { M, a, b } = problem(6, 5, 5);
    const res = ot.solve(M, a, b, { reg: 0.01, unbalanced: 0.05, unbalancedType: 'TV', tol: 1e-12, maxIter: 100000 });
    const P = res.plan.toArray() as number[][];
    const r = P.map((row) => row.reduce((s, p) => s + p, 0));
    r.forEach((ri, i) => expect(ri).toBeLessThanOrEqual(flat(a.toArray())[i]! * (1 + 1e-3)));
  });
});

describe('epsScaling (reg annealing)', () => {
  it('reaches the same plan as the cold solve, in fewer total iterations at small reg', () => {
    // The seed workload's geometry (uniform points in [0, 1)^5), smaller: 73230 cold iterations, 10202 annealed.
    const x = ot.rand([150, 5], { seed: 0 });
    const y = ot.rand([150, 5], { seed: 1 });
    const M = ot.dist(x, y);
    const cold = ot.solve(M, { reg: 1e-3, maxIter: 200000, tol: 1e-6 });
    const warm = ot.solve(M, { reg: 1e-3, maxIter: 200000, tol: 1e-6, epsScaling: { decay: 0.5 } });
    expect(cold.status).toBe('converged');
    expect(warm.status).toBe('converged');
    expectClose(warm.plan.toArray() as number[][], cold.plan.toArray() as number[][], { rel: 1e-3, abs: 0 }, 'plan');
    expect(Math.abs(warm.value.item() - cold.value.item())).toBeLessThan(1e-5 * Math.abs(cold.value.item()));
    expect(warm.nIter).toBeLessThan(cold.nIter / 4);
  });

  it('unbalanced KL with epsScaling reaches the unannealed value', () => {
    const { M, a, b } = problem(8, 6, 4);
    const cold = ot.solve(M, a, b, { reg: 0.01, unbalanced: 0.5, tol: 1e-12, maxIter: 100000 });
    const warm = ot.solve(M, a, b, { reg: 0.01, unbalanced: 0.5, tol: 1e-12, maxIter: 100000, epsScaling: true });
    expect(Math.abs(warm.value.item() - cold.value.item())).toBeLessThan(1e-9);
  });

  it('autodiff differentiates the last stage (the warm start is a constant)', () => {
    const x = ot.rand([20, 2], { seed: 3, dtype: 'float64' });
    const y = ot.rand([15, 2], { seed: 4, dtype: 'float64' });
    const M1 = ot.dist(x, y).detach().requiresGrad_();
    const M2 = M1.detach().requiresGrad_();
    ot.solve(M1, { reg: 0.02, tol: 1e-12, maxIter: 100000 }).value.backward();
    ot.solve(M2, { reg: 0.02, tol: 1e-12, maxIter: 100000, epsScaling: true }).value.backward();
    expectClose(flat(M2.grad!.toArray()), flat(M1.grad!.toArray()), { rel: 1e-6, abs: 0 }, 'dM');
  });
});

describe('async twin', () => {
  it('solveAsync gives the same result; an aborted signal rejects', async () => {
    const { M, a, b } = problem(6, 5, 8);
    for (const opts of [{ reg: 0.1, unbalanced: 0.5 }, { unbalanced: 0.5, unbalancedType: 'L2' as const }, { reg: 0.05, epsScaling: true }]) {
      const bb = 'unbalanced' in opts ? b : b.mul(a.sum().item() / b.sum().item());
      const s = ot.solve(M, a, bb, opts);
      const p = await ot.solveAsync(M, a, bb, opts);
      expect(p.value.item()).toBe(s.value.item());
    }
    const ac = new AbortController();
    ac.abort();
    await expect(ot.solveAsync(M, a, b, { reg: 0.1, unbalanced: 0.5, signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
  });
});

describe('bad input', () => {
  const { M, a, b } = problem(4, 3, 2);
  const cases: [ot.SolveOptions, string, RegExp][] = [
    [{ reg: 0.1, unbalanced: -1 }, 'ERR_OT_VALUE', /unbalanced must be > 0, got -1/],
    [{ reg: 0.1, unbalanced: NaN }, 'ERR_OT_VALUE', /unbalanced must be > 0/],
    [{ reg: 0.1, unbalanced: [1] as never }, 'ERR_OT_ARG', /pair \[ua, ub\]/],
    [{ reg: 0.1, unbalanced: 'big' as never }, 'ERR_OT_VALUE', /unbalanced must be > 0, got "big"/],
    [{ reg: 0.1, unbalanced: 1, unbalancedType: 'KLD' as never }, 'ERR_OT_ARG', /unbalancedType must be 'KL', 'L2' or 'TV', got "KLD"/],
    [{ unbalanced: Infinity }, 'ERR_OT_VALUE', /unbalanced must be finite/],
    [{ reg: 0.1, unbalanced: 1, grad: 'autodiff' }, 'ERR_OT_ARG', /grad must be one of 'envelope', 'detach', got "autodiff"/],
    [{ reg: 0.1, unbalanced: 1, method: 'sinkhorn_log' }, 'ERR_OT_ARG', /method must be omitted/],
    [{ reg: 0.1, epsScaling: { decay: 1.5 } }, 'ERR_OT_VALUE', /epsScaling.decay must be in \(0, 1\), got 1.5/],
    [{ reg: 0.1, epsScaling: { regInit: -1 } }, 'ERR_OT_VALUE', /epsScaling.regInit/],
    [{ reg: 0.1, epsScaling: { steps: 3 } as never }, 'ERR_OT_ARG', /steps/],
    [{ reg: 0.1, epsScaling: 'yes' as never }, 'ERR_OT_ARG', /epsScaling must be true or an object/],
    [{ unbalanced: 1, epsScaling: true }, 'ERR_OT_ARG', /epsScaling applies to entropic solves only/],
  ];
  for (const [opts, code, msg] of cases) {
    it(`${JSON.stringify(opts)} -> ${code}`, () => {
      const bb = opts.unbalanced === undefined ? b.mul(a.sum().item() / b.sum().item()) : b;
      expectOTError(() => ot.solve(M, a, bb, opts), code, msg);
    });
  }
  it('unbalanced problems do not need equal masses; balanced ones still do', () => {
    expect(() => ot.solve(M, a, b, { reg: 0.1, unbalanced: 1 })).not.toThrow();
    expect(() => ot.solve(M, a, b, { reg: 0.1 })).toThrow(/same total mass/);
  });
});

// ot.solve's exact TV-unbalanced method (network simplex with a dummy row and column) against a
// brute-force linear program (HiGHS), and the L2-regularised methods (dual block-coordinate ascent:
// balanced, KL, TV) by their duality certificate, marginal conditions, gradients, float32, the async
// twin and bad input.
import fc from 'fast-check';
import type { Highs } from 'highs';
import { describe, expect, it } from 'vitest';
import { resetWarnings } from '../lib/core/warnings.js';
import * as ot from '../lib/index.js';
import { expectClose, flat, loadFixture } from './helpers/fixtures.js';

let highs: Promise<Highs> | undefined;
async function lp(): Promise<Highs> {
  highs ??= import('highs').then((m) => {
    const d = m.default as unknown as (() => Promise<Highs>) | { default: () => Promise<Highs> };
    return typeof d === 'function' ? d() : d.default();
  });
  return highs;
}

function problem(n: number, m: number, seed: number, zeros = false) {
  const x = ot.rand([n, 2], { seed, dtype: 'float64' });
  const y = ot.rand([m, 2], { seed: seed + 7, dtype: 'float64' });
  const M = flat(ot.dist(x, y).toArray());
  const a = flat(ot.rand([n], { seed: seed + 1, dtype: 'float64' }).add(0.2).toArray());
  const b = flat(ot.rand([m], { seed: seed + 2, dtype: 'float64' }).add(0.2).mul(0.5).toArray());
  // A zero weight in each side that has more than one entry.
  if (zeros && n > 1) a[seed % n] = 0;
  if (zeros && m > 1) b[seed % m] = 0;
  return { M, a, b, n, m };
}

/** min <M, P> + ua |P 1 - a|_1 + ub |P^T 1 - b|_1 as an LP: r_i - a_i = s_i - t_i with s, t >= 0. */
async function tvByLP(M: number[], a: number[], b: number[], n: number, m: number, ua: number, ub: number): Promise<number> {
  const obj: string[] = [];
  const rows: string[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) obj.push(`${M[i * m + j]} p${i}_${j}`);
  for (let i = 0; i < n; i++) {
    obj.push(`${ua} s${i}`, `${ua} t${i}`);
    rows.push(` r${i}: ${Array.from({ length: m }, (_, j) => `p${i}_${j}`).join(' + ')} - s${i} + t${i} = ${a[i]}`);
  }
  for (let j = 0; j < m; j++) {
    obj.push(`${ub} u${j}`, `${ub} v${j}`);
    rows.push(` c${j}: ${Array.from({ length: n }, (_, i) => `p${i}_${j}`).join(' + ')} - u${j} + v${j} = ${b[j]}`);
  }
  const text = ['Minimize', ' obj: ' + obj.join(' + '), 'Subject To', ...rows, 'End', ''].join('\n');
  const sol = (await lp()).solve(text, {});
  expect(sol.Status).toBe('Optimal');
  return sol.ObjectiveValue;
}

function solve(M: number[], a: number[], b: number[], n: number, m: number, opts: ot.SolveOptions, dtype: 'float64' | 'float32' = 'float64'): ot.OTResult {
  return ot.solve(ot.tensor(Float64Array.from(M), { dtype }).reshape([n, m]), ot.tensor(a), ot.tensor(b), opts);
}

function sums(P: number[], n: number, m: number): [number[], number[]] {
  const r = new Array<number>(n).fill(0);
  const c = new Array<number>(m).fill(0);
  P.forEach((p, k) => {
    r[Math.floor(k / m)] += p;
    c[k % m] += p;
  });
  return [r, c];
}

describe('exact TV: the network simplex with a dummy row and column is the LP optimum', () => {
  it('matches a brute-force LP on random problems (also zero weights and unequal strengths)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 10000 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }),
      fc.double({ min: 0.01, max: 2, noNaN: true }), fc.double({ min: 0.01, max: 2, noNaN: true }), fc.boolean(),
      async (seed, n, m, ua, ub, zeros) => {
        const { M, a, b } = problem(n, m, seed, zeros);
        const res = solve(M, a, b, n, m, { unbalanced: [ua, ub], unbalancedType: 'TV' });
        const want = await tvByLP(M, a, b, n, m, ua, ub);
        expect(res.status).toBe('converged');
        expect(Math.abs(res.value.item() - want)).toBeLessThan(1e-10 * Math.max(1, Math.abs(want)));
        // The duals: feasible (f_i + g_j <= M_ij, f <= ua, g <= ub) and without duality gap.
        const [f, g] = res.potentials.map((t) => flat(t.toArray()));
        f!.forEach((fi, i) => {
          expect(fi).toBeLessThanOrEqual(ua + 1e-12);
          g!.forEach((gj, j) => expect(fi + gj).toBeLessThanOrEqual(M[i * m + j]! + 1e-12));
        });
        g!.forEach((gj) => expect(gj).toBeLessThanOrEqual(ub + 1e-12));
        const dual = f!.reduce((s, x, i) => s + x * a[i]!, 0) + g!.reduce((s, x, j) => s + x * b[j]!, 0);
        expect(Math.abs(dual - want)).toBeLessThan(1e-10 * Math.max(1, Math.abs(want)));
      }), { numRuns: 40 });
  });

  it('large strengths recover balanced exact OT; tiny ones transport nothing', () => {
    const { M, a, n, m } = problem(6, 5, 3);
    const b0 = problem(6, 5, 3).b;
    const sb = b0.reduce((s, x) => s + x, 0);
    const sa = a.reduce((s, x) => s + x, 0);
    const b = b0.map((x) => (x * sa) / sb);
    const exact = solve(M, a, b, n, m, {});
    const tv = solve(M, a, b, n, m, { unbalanced: 100, unbalancedType: 'TV' });
    expect(Math.abs(tv.value.item() - exact.value.item())).toBeLessThan(1e-12);
    // Transporting along (i, j) pays only where M_ij < ua + ub, against destroying and creating mass.
    const little = solve(M, a, b, n, m, { unbalanced: 0.02, unbalancedType: 'TV' });
    flat(little.plan.toArray()).forEach((p, k) => expect(p === 0 || M[k]! <= 0.04).toBe(true));
    expect(little.value.item()).toBeLessThanOrEqual(0.02 * 2 * sa);
  });

  it('an unbounded problem (min M + ua + ub < 0) is an OTError', () => {
    expect(() => solve([-1, 0, 0, 0], [1, 1], [1, 1], 2, 2, { unbalanced: 0.4, unbalancedType: 'TV' }))
      .toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE', message: expect.stringMatching(/unbounded when min\(M\) \+ ua \+ ub < 0/) }));
    // Negative costs above -(ua + ub) are a bounded problem.
    const res = solve([-0.5, 0, 0, 0], [1, 1], [1, 1], 2, 2, { unbalanced: 0.4, unbalancedType: 'TV' });
    expect(res.value.item()).toBeCloseTo(-0.5, 12);
  });
});

/** The dual objective of the L2-regularised problem at the returned potentials (see the fixture test). */
function dualValue(M: number[], a: number[], b: number[], n: number, m: number, reg: number, type: 'balanced' | 'KL' | 'TV', ua: number, ub: number, al: number[], be: number[]): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const q = type === 'balanced' ? 0 : a[i]! * b[j]!;
      const z = al[i]! + be[j]! - M[i * m + j]!;
      const P = Math.max(0, q + z / reg);
      v += -z * P + (reg / 2) * (P - q) ** 2;
    }
  }
  const conj = (pot: number[], w: number[], s: number): number => pot.reduce((t, x, i) => t + (type === 'KL' ? s * w[i]! * (1 - Math.exp(-x / s)) : x * w[i]!), 0);
  return v + conj(al, a, ua) + conj(be, b, ub);
}

describe('regType L2 (dual block-coordinate ascent)', () => {
  for (const type of ['balanced', 'KL', 'TV'] as const) {
    it(`${type}: no duality gap, and the marginal conditions hold, on random problems`, () => {
      fc.assert(fc.property(
        fc.integer({ min: 1, max: 10000 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }),
        fc.double({ min: 0.02, max: 2, noNaN: true }), fc.double({ min: 0.05, max: 3, noNaN: true }), fc.boolean(),
        (seed, n, m, reg, lam, zeros) => {
          const p = problem(n, m, seed, zeros && type !== 'balanced');
          const { M, a } = p;
          let b = p.b;
          if (type === 'balanced') {
            const sa = a.reduce((s, x) => s + x, 0);
            const sb = b.reduce((s, x) => s + x, 0);
            b = b.map((x) => (x * sa) / sb);
          }
          const opts: ot.SolveOptions = type === 'balanced' ? { reg, regType: 'L2' } : { reg, regType: 'L2', unbalanced: lam, unbalancedType: type };
          const res = solve(M, a, b, n, m, opts);
          expect(res.status).toBe('converged');
          const [al, be] = res.potentials.map((t) => flat(t.toArray()));
          const value = res.value.item();
          expect(Math.abs(value - dualValue(M, a, b, n, m, reg, type, lam, lam, al!, be!))).toBeLessThan(1e-9 * Math.max(1, Math.abs(value)));
          const P = flat(res.plan.toArray());
          const [r, c] = sums(P, n, m);
          if (type === 'balanced') {
            expectClose(r, a, { rel: 0, abs: 1e-10 }, 'rows');
            expectClose(c, b, { rel: 0, abs: 1e-10 }, 'columns');
          } else if (type === 'TV') {
            // alpha in [-ua, ua]; inside the box the marginal is kept, at ua it may only lose mass.
            al!.forEach((x, i) => {
              expect(Math.abs(x)).toBeLessThanOrEqual(lam);
              if (Math.abs(x) < lam) expect(Math.abs(r[i]! - a[i]!)).toBeLessThan(1e-9);
              else if (x === lam) expect(r[i]!).toBeLessThanOrEqual(a[i]! + 1e-9);
              else expect(r[i]!).toBeGreaterThanOrEqual(a[i]! - 1e-9);
            });
          } else {
            // KL: the row sums are a exp(-alpha / ua).
            expectClose(r, a.map((w, i) => w * Math.exp(-al![i]! / lam)), { rel: 0, abs: 1e-10 }, 'rows');
          }
        }), { numRuns: 25 });
    });
  }

  it('balanced: the envelope gradient (plan, centred duals) matches finite differences along mass-preserving directions', () => {
    const { M, a, n, m } = problem(5, 4, 17);
    const b0 = problem(5, 4, 17).b;
    const sa = a.reduce((s, x) => s + x, 0);
    const b = b0.map((x) => (x * sa) / b0.reduce((s, y) => s + y, 0));
    const opts: ot.SolveOptions = { reg: 0.1, regType: 'L2', tol: 1e-14 };
    const Mt = ot.tensor(Float64Array.from(M)).reshape([n, m]).detach().requiresGrad_();
    const at = ot.tensor(a, { requiresGrad: true });
    const bt = ot.tensor(b, { requiresGrad: true });
    ot.solve(Mt, at, bt, opts).value.backward();
    const val = (M2: number[], a2: number[], b2: number[]): number => solve(M2, a2, b2, n, m, { ...opts, grad: 'detach' }).value.item();
    const h = 1e-6;
    const dM = flat(Mt.grad!.toArray());
    M.forEach((_, k) => {
      const up = [...M];
      const dn = [...M];
      up[k] += h;
      dn[k] -= h;
      expect(Math.abs(dM[k]! - (val(up, a, b) - val(dn, a, b)) / (2 * h))).toBeLessThan(2e-6);
    });
    const da = flat(at.grad!.toArray());
    const db = flat(bt.grad!.toArray());
    expect(Math.abs(da.reduce((s, x) => s + x, 0))).toBeLessThan(1e-12);
    for (let k = 1; k < n; k++) {
      const up = [...a];
      const dn = [...a];
      up[k] += h; up[0] -= h;
      dn[k] -= h; dn[0] += h;
      expect(Math.abs(da[k]! - da[0]! - (val(M, up, b) - val(M, dn, b)) / (2 * h))).toBeLessThan(2e-6);
    }
    for (let k = 1; k < m; k++) {
      const up = [...b];
      const dn = [...b];
      up[k] += h; up[0] -= h;
      dn[k] -= h; dn[0] += h;
      expect(Math.abs(db[k]! - db[0]! - (val(M, a, up) - val(M, a, dn)) / (2 * h))).toBeLessThan(2e-6);
    }
  });

  it('badly scaled problems (potentials in the hundreds, M near 0, ua 1e8) converge to the optimum', () => {
    const { M, a, b, n, m } = problem(12, 10, 9);
    for (const [scale, reg, lam] of [[1e3, 0.1, 1e-3], [1e-8, 0.1, 1e3], [1, 0.1, 1e4], [1, 0.1, 1e8], [1, 1e4, 1]] as const) {
      const Ms = M.map((x) => x * scale);
      const res = solve(Ms, a, b, n, m, { reg, regType: 'L2', unbalanced: lam });
      expect(res.status, `${scale} ${reg} ${lam}`).toBe('converged');
      const [al, be] = res.potentials.map((t) => flat(t.toArray()));
      const v = res.value.item();
      expect(Math.abs(v - dualValue(Ms, a, b, n, m, reg, 'KL', lam, lam, al!, be!))).toBeLessThan(1e-8 * Math.max(1, Math.abs(v)));
    }
  });

  it('maxIter reached: status max_iter with a warning', async () => {
    const { M, a, b, n, m } = problem(6, 5, 4);
    const warned: string[] = [];
    const onWarn = (w: Error): void => void warned.push(w.message);
    resetWarnings();
    process.on('warning', onWarn);
    try {
      const res = ot.solve(ot.tensor(Float64Array.from(M)).reshape([n, m]), ot.tensor(a), ot.tensor(b), { reg: 0.01, regType: 'L2', unbalanced: 5, maxIter: 2 });
      expect(res.status).toBe('max_iter');
      expect(res.nIter).toBe(2);
      await new Promise<void>((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarn);
    }
    expect(warned.some((w) => /did not converge in 2 iterations/.test(w))).toBe(true);
  });
});

describe('the sixteen new fixture cases in float32 and async', () => {
  const fixture = loadFixture('unbalanced_solve');
  const cases = fixture.cases.filter((c) => c.reg_type === 'L2' ? c.unbalanced_type !== 'L2' : c.reg === null && c.unbalanced_type === 'TV');
  const optsOf = (c: (typeof cases)[number]): ot.SolveOptions => ({
    reg: c.reg ?? undefined, regType: c.reg_type, unbalanced: c.unbalanced ?? undefined, unbalancedType: c.unbalanced_type ?? undefined,
  });

  it('there are sixteen', () => expect(cases.length).toBe(16));

  it('float32 M: the float64 value within 1e-4, results in float32', () => {
    for (const c of cases) {
      const r64 = ot.solve(ot.tensor(c.M), ot.tensor(c.a), ot.tensor(c.b), optsOf(c));
      const r32 = ot.solve(ot.tensor(c.M, { dtype: 'float32' }), ot.tensor(c.a, { dtype: 'float32' }), ot.tensor(c.b, { dtype: 'float32' }), optsOf(c));
      expect(r32.plan.dtype).toBe('float32');
      expect(r32.value.dtype).toBe('float32');
      expect(Math.abs(r32.value.item() - r64.value.item())).toBeLessThanOrEqual(1e-4 * Math.abs(r64.value.item()));
    }
  });

  it('solveAsync gives the same results', async () => {
    for (const c of cases) {
      const s = ot.solve(ot.tensor(c.M), ot.tensor(c.a), ot.tensor(c.b), optsOf(c));
      const p = await ot.solveAsync(ot.tensor(c.M), ot.tensor(c.a), ot.tensor(c.b), optsOf(c));
      expect(p.value.item()).toBe(s.value.item());
      expect(flat(p.plan.toArray())).toEqual(flat(s.plan.toArray()));
    }
  });

  it('an AbortSignal stops the dual ascent within one slice, and the network simplex before it starts', async () => {
    const { M, a, b, n, m } = problem(60, 50, 5);
    const Mt = ot.tensor(Float64Array.from(M)).reshape([n, m]);
    const ac = new AbortController();
    const t0 = performance.now();
    const job = ot.solveAsync(Mt, a, b, { reg: 1e-3, regType: 'L2', unbalanced: 50, tol: 0, maxIter: 1e9, signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await expect(job).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    expect(performance.now() - t0).toBeLessThan(2000);
    const done = new AbortController();
    done.abort();
    await expect(ot.solveAsync(Mt, a, b, { unbalanced: 0.5, unbalancedType: 'TV', signal: done.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    await expect(ot.solveAsync(Mt, a, b, { reg: 0.1, regType: 'L2', unbalanced: 1, signal: done.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
  });
});

describe('bad input', () => {
  const { M, a, b, n, m } = problem(4, 3, 2);
  const cases: [ot.SolveOptions, string, RegExp][] = [
    [{ reg: 0.1, regType: 'L2', method: 'lbfgsb' }, 'ERR_OT_ARG', /method applies to entropic OT .*got method "lbfgsb"/],
    [{ reg: 0.1, regType: 'L2' }, 'ERR_OT_VALUE', /same total mass/],
    [{ reg: 0.1, regType: 'L2', unbalanced: Infinity }, 'ERR_OT_VALUE', /unbalanced must be finite/],
    [{ reg: 0.1, regType: 'L2', unbalanced: [1, -2], unbalancedType: 'TV' }, 'ERR_OT_VALUE', /unbalanced must be > 0, got -2/],
    [{ reg: 0.1, regType: 'L2', unbalanced: 1, tol: -1 }, 'ERR_OT_VALUE', /tol must be >= 0/],
    [{ reg: 0.1, regType: 'L2', unbalanced: 1, maxIter: 0 }, 'ERR_OT_ARG', /maxIter/],
    [{ reg: 0.1, regType: 'L2', unbalanced: 1, grad: 'autodiff' }, 'ERR_OT_ARG', /grad must be one of 'envelope', 'detach'/],
    [{ reg: 0.1, regType: 'L2', unbalanced: 1, epsScaling: true }, 'ERR_OT_ARG', /epsScaling applies to entropic solves only/],
    [{ unbalanced: [1, Infinity], unbalancedType: 'TV' }, 'ERR_OT_VALUE', /unbalanced must be finite/],
    [{ unbalanced: 1, unbalancedType: 'TV', grad: 'last_step' }, 'ERR_OT_ARG', /grad must be one of 'envelope', 'detach'/],
    [{ unbalanced: 1, unbalancedType: 'TV', maxIter: 1.5 }, 'ERR_OT_ARG', /maxIter/],
  ];
  for (const [opts, code, msg] of cases) {
    it(`${JSON.stringify(opts)} -> ${code}`, () => {
      expect(() => solve(M, a, b, n, m, opts)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(msg) }));
    });
  }
  it('a non-finite M is ERR_OT_VALUE for both methods', () => {
    const bad = [...M];
    bad[2] = NaN;
    for (const opts of [{ reg: 0.1, regType: 'L2' as const, unbalanced: 1 }, { unbalanced: 1, unbalancedType: 'TV' as const }]) {
      expect(() => solve(bad, a, b, n, m, opts)).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE', message: expect.stringMatching(/M must be finite/) }));
    }
  });
});

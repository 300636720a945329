// Batched exact OT (ot.batch.solveBatch without reg): each problem as ot.solve's exact method, emd2's
// gradient per problem, float32, max_iter warning, async parity, abort, bad input.
import { describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';
import { resetWarnings } from '../lib/core/warnings.js';
import { expectClose, tolerance } from './helpers/fixtures.js';

function randomBatch(B: number, n: number, m: number, seed: number, dtype: 'float32' | 'float64' = 'float64') {
  const X = ot.rand([B, n, 2], { seed, dtype: 'float64' });
  const Y = ot.rand([B, m, 2], { seed: seed + 1, dtype: 'float64' });
  const M = ot.batch.distBatch(X, Y).to(dtype);
  const wa = ot.rand([B, n], { seed: seed + 2 }).add(0.5);
  const wb = ot.rand([B, m], { seed: seed + 3 }).add(0.5);
  const norm = (w: ot.Tensor, len: number): ot.Tensor => w.div(w.sum(1, true).reshape([B, 1]).mul(ot.ones([1, len])));
  return { M, a: norm(wa, n).to(dtype), b: norm(wb, m).to(dtype) };
}

/** Problem k of a batched tensor [B, ...] as its own tensor. */
function slice(t: ot.Tensor, k: number): ot.Tensor {
  const per = t.numel / t.shape[0]!;
  return ot.tensor(t.data.slice(k * per, (k + 1) * per), { shape: t.shape.slice(1) });
}

describe('solveBatch without reg (exact)', () => {
  it('solves each problem as ot.solve does, in both dtypes', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const { M, a, b } = randomBatch(6, 9, 7, 5, dtype);
      const res = ot.batch.solveBatch(M, { a, b });
      expect(res.plan.shape).toEqual([6, 9, 7]);
      expect(res.value.dtype).toBe(dtype);
      expect(res.status).toBe('converged');
      for (let k = 0; k < 6; k++) {
        const one = ot.solve(slice(M, k), slice(a, k), slice(b, k));
        expect(res.value.data[k]).toBe(one.value.item());
        expect(res.valueLinear.data[k]).toBe(one.value.item());
        expect(Array.from(slice(res.plan, k).data)).toEqual(Array.from(one.plan.data));
        expect(Array.from(slice(res.potentials[0], k).data)).toEqual(Array.from(one.potentials[0].data));
        expect(Array.from(slice(res.potentials[1], k).data)).toEqual(Array.from(one.potentials[1].data));
        expect(res.nIterPerProblem[k]).toBe(one.nIter);
      }
      expect(res.nIter).toBe(Math.max(...res.nIterPerProblem));
    }
  });

  it('reg 0 and uniform weights are the default; reg > 0 is still Sinkhorn', () => {
    const { M } = randomBatch(3, 5, 5, 1);
    const dflt = ot.batch.solveBatch(M);
    const zero = ot.batch.solveBatch(M, { reg: 0 });
    expect(Array.from(zero.plan.data)).toEqual(Array.from(dflt.plan.data));
    for (let k = 0; k < 3; k++) expect(dflt.value.data[k]).toBe(ot.emd2(null, null, slice(M, k)).item());
    // A permutation: the exact plan has exactly n nonzeros per problem (each 1/n).
    expect(Array.from(dflt.plan.data).filter((x) => x > 0).length).toBe(15);
    expect(ot.batch.solveBatch(M, { reg: 0.1 }).plan.data.every((x) => x > 0)).toBe(true);
  });

  it("carries emd2's gradient per problem: dM = g_k plan_k, da = g_k (u_k - mean u_k)", () => {
    const { M, a, b } = randomBatch(4, 6, 5, 9);
    const Mg = M.detach().requiresGrad_();
    const ag = a.detach().requiresGrad_();
    const bg = b.detach().requiresGrad_();
    const res = ot.batch.solveBatch(Mg, { a: ag, b: bg });
    const weights = ot.tensor([1, -2, 0.5, 3]);
    res.value.mul(weights).sum().backward();
    for (let k = 0; k < 4; k++) {
      const Mk = slice(M, k).requiresGrad_();
      const ak = slice(a, k).requiresGrad_();
      const bk = slice(b, k).requiresGrad_();
      ot.emd2(ak, bk, Mk).mul(weights.data[k]!).backward();
      expectClose(slice(Mg.grad!, k).data, Mk.grad!.data, tolerance('float64'), `dM[${k}]`);
      expectClose(slice(ag.grad!, k).data, ak.grad!.data, tolerance('float64'), `da[${k}]`);
      expectClose(slice(bg.grad!, k).data, bk.grad!.data, tolerance('float64'), `db[${k}]`);
    }
    const detached = ot.batch.solveBatch(Mg, { grad: 'detach' });
    expect(detached.value.requiresGrad).toBe(false);
  });

  it("warns once when problems stop at maxIter and rejects Sinkhorn-only options", () => {
    resetWarnings();
    const { M } = randomBatch(3, 30, 30, 2);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const short = ot.batch.solveBatch(M, { maxIter: 2 });
    expect(short.status).toBe('max_iter');
    expect(short.statusPerProblem).toEqual(['max_iter', 'max_iter', 'max_iter']);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![1]).toMatchObject({ code: 'OT_BATCH_MAX_ITER' });
    warn.mockRestore();
    const says = (f: () => unknown, code: string, re: RegExp) => expect(f).toThrow(expect.objectContaining({ code, message: expect.stringMatching(re) }));
    says(() => ot.batch.solveBatch(M, { tol: 1e-9 }), 'ERR_OT_ARG', /^solveBatch: option 'tol' applies to entropic OT/);
    says(() => ot.batch.solveBatch(M, { solver: 'sinkhorn' }), 'ERR_OT_ARG', /option 'solver'/);
    says(() => ot.batch.solveBatch(M, { maxIter: 0 }), 'ERR_OT_ARG', /maxIter/);
    says(() => ot.batch.solveBatch(M, { foo: 1 } as never), 'ERR_OT_ARG', /unknown option 'foo'/);
    says(() => ot.batch.solveBatch(ot.rand([3, 4])), 'ERR_OT_SHAPE', /M must be 3-d/);
    const a = ot.ones([3, 30]).div(30);
    const b = ot.tensor(Float64Array.from({ length: 90 }, (_, i) => (i >= 60 ? 2 / 30 : 1 / 30)), { shape: [3, 30] });
    says(() => ot.batch.solveBatch(M, { a, b }), 'ERR_OT_VALUE', /same total mass \(problem 2\).*got sum\(a\) = 0?\.?9+\d* and sum\(b\) = 1?\.?9+\d*$/);
    says(() => ot.batch.solveBatch(ot.tensor(new Float64Array(18).fill(NaN), { shape: [2, 3, 3] })), 'ERR_OT_VALUE', /M/);
  });

  it('solveBatchAsync gives the sync result and honours its signal', async () => {
    const { M, a, b } = randomBatch(8, 12, 10, 4);
    const sync = ot.batch.solveBatch(M, { a, b });
    const res = await ot.batch.solveBatchAsync(M, { a, b });
    expect(Array.from(res.plan.data)).toEqual(Array.from(sync.plan.data));
    expect(Array.from(res.value.data)).toEqual(Array.from(sync.value.data));
    const ac = new AbortController();
    ac.abort();
    await expect(ot.batch.solveBatchAsync(M, { signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    const big = randomBatch(3000, 32, 32, 6);
    const late = new AbortController();
    const pending = ot.batch.solveBatchAsync(big.M, { signal: late.signal });
    setTimeout(() => late.abort(), 2);
    await expect(pending).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
  });
});

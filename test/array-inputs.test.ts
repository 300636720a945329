// Matrices and batches may be passed as nested number arrays or typed arrays wherever a Tensor is
// accepted (solve, emd, sinkhorn, solveBatch, distBatch), with the same results as Tensors, and a
// malformed array is refused naming the call and the argument.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import type { NestedArray } from '../lib/index.js';

const nested = (t: ot.Tensor): number[][] => t.toArray() as number[][];

describe('array inputs', () => {
  const M = ot.dist(ot.rand([5, 2], { seed: 3, dtype: 'float64' }), ot.rand([4, 2], { seed: 4, dtype: 'float64' }));
  const a = [0.1, 0.3, 0.2, 0.25, 0.15];
  const b = new Float64Array([0.25, 0.25, 0.4, 0.1]);

  it('ot.solve: nested M and array / typed-array weights give the Tensor results', () => {
    const ref = ot.solve(M, ot.tensor(a), ot.tensor(b), { reg: 0.1 });
    const res = ot.solve(nested(M), a, b, { reg: 0.1 });
    expect(Array.from(res.plan.data)).toEqual(Array.from(ref.plan.data));
    expect(res.value.item()).toBe(ref.value.item());
    expect(res.plan.dtype).toBe('float64');
    const exact = ot.solve(nested(M), a, b);
    expect(exact.value.item()).toBe(ot.solve(M, ot.tensor(a), ot.tensor(b)).value.item());
  });

  it('ot.solveAsync, ot.emd, ot.emd2 and ot.sinkhorn2 take nested M', async () => {
    const ref = ot.solve(M, { reg: 0.2 });
    expect((await ot.solveAsync(nested(M), { reg: 0.2 })).value.item()).toBe(ref.value.item());
    expect(Array.from(ot.emd(a, b, nested(M)).data)).toEqual(Array.from(ot.emd(ot.tensor(a), ot.tensor(b), M).data));
    expect(ot.emd2(null, null, nested(M)).item()).toBe(ot.emd2(null, null, M).item());
    expect(ot.sinkhorn2(a, b, nested(M), 0.1).item()).toBe(ot.sinkhorn2(a, b, M, 0.1).item());
  });

  it('a Float32Array of weights keeps working with a float32 M', () => {
    const M32 = M.to('float32');
    const res = ot.solve(M32, new Float32Array(a), null, { reg: 0.1 });
    expect(res.plan.dtype).toBe('float32');
    expect(res.value.item()).toBeCloseTo(ot.solve(M, ot.tensor(a), null, { reg: 0.1 }).value.item(), 5);
  });

  it('batch: nested M for solveBatch, nested X for distBatch', async () => {
    const Mb = [nested(M), nested(M)];
    const T = ot.tensor(Mb as NestedArray);
    const ref = ot.batch.solveBatch(T, { reg: 0.1 });
    const res = ot.batch.solveBatch(Mb, { reg: 0.1 });
    expect(Array.from(res.value.data)).toEqual(Array.from(ref.value.data));
    expect(Array.from(ot.batch.solveBatch(Mb).value.data)).toEqual(Array.from(ot.batch.solveBatch(T).value.data));
    const X = [[[0, 0], [1, 0]], [[0, 1], [2, 2]]];
    expect(Array.from(ot.batch.distBatch(X).data)).toEqual(Array.from(ot.batch.distBatch(ot.tensor(X)).data));
    expect(Array.from((await ot.batch.distBatchAsync(X, X)).data)).toEqual(Array.from(ot.batch.distBatch(ot.tensor(X)).data));
  });

  it('malformed arrays name the call and the argument', () => {
    expect(() => ot.solve([[0, 1], [1]], { reg: 0.1 })).toThrow(expect.objectContaining({ code: 'ERR_OT_SHAPE', message: expect.stringMatching(/^solve: M ragged/) }));
    expect(() => ot.solve([[0, 'x']] as unknown as number[][])).toThrow(expect.objectContaining({ code: 'ERR_OT_ARG', message: expect.stringMatching(/^solve: M expected a number/) }));
    expect(() => ot.emd(null, null, 'M' as unknown as number[][])).toThrow(expect.objectContaining({ code: 'ERR_OT_ARG', message: expect.stringMatching(/^emd: M must be a Tensor, nested number arrays or a Float32Array/) }));
    expect(() => ot.solve([0.5, 0.5])).toThrow(expect.objectContaining({ code: 'ERR_OT_SHAPE', message: expect.stringMatching(/M must be 2-d/) }));
    expect(() => ot.batch.solveBatch([[1, 2]], { reg: 0.1 })).toThrow(expect.objectContaining({ code: 'ERR_OT_SHAPE', message: expect.stringMatching(/solveBatch: M must be 3-d/) }));
    expect(() => ot.batch.distBatch(undefined as unknown as number[][][])).toThrow(expect.objectContaining({ code: 'ERR_OT_ARG', message: expect.stringMatching(/^distBatch: X must be a Tensor \[B, n, d\], nested/) }));
  });
});

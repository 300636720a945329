// ot.jobs.pairwise: values against per-pair ot.solve (float64 and float32), independence of chunking and
// concurrency (bitwise, also as a property), mirroring, `with`, weights, asymmetric metrics, progress,
// abort, exact OT, and bad input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { OTError } from '../lib/index.js';

type DType = 'float32' | 'float64';

function clouds(K: number, sizes: readonly number[], d: number, seed: number, dtype: DType = 'float64') {
  return Array.from({ length: K }, (_, k) => ({ id: `m${k}`, x: ot.rand([sizes[k % sizes.length]!, d], { seed: seed + k, dtype }) }));
}

/** ot.solve on the pair's cost matrix with the same reg and tol. */
function reference(x: ot.Tensor, y: ot.Tensor, reg: number, tol: number, a?: ot.Tensor, b?: ot.Tensor, metric = 'sqeuclidean'): number {
  const M = metric === 'sqeuclidean' ? ot.dist(x, y) : ot.batch.distBatch(x.reshape([1, ...x.shape]), y.reshape([1, ...y.shape]), { metric: metric as 'kl' }).reshape([x.shape[0]!, y.shape[0]!]);
  return ot.solve(M, a, b, { reg, tol }).value.item();
}

function sameBits(a: ot.Tensor, b: ot.Tensor): boolean {
  const x = a.data;
  const y = b.data;
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
}

describe('jobs.pairwise values', () => {
  it('float64: every entry equals ot.solve on the pair (1e-7 relative), mixed sizes, diagonal solved', async () => {
    const ms = clouds(6, [9, 14], 2, 10);
    const res = await ot.jobs.pairwise(ms, { reg: 0.1 });
    expect(res.values.shape).toEqual([6, 6]);
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 6; j++) {
        const ref = reference(ms[i]!.x, ms[j]!.x, 0.1, 1e-9);
        const v = res.values.data[i * 6 + j]!;
        expect(Math.abs(v - ref) / Math.abs(ref), `(${i}, ${j})`).toBeLessThan(1e-7);
        expect(res.status[i]![j]).toBe('converged');
        expect(v).toBe(res.values.data[j * 6 + i]); // mirrored
      }
      expect(res.values.data[i * 7]).toBeGreaterThan(0); // entropic OT(a, a) > 0
    }
  });

  it('float32 tensors give a float32 job matching ot.solve with the same tol (1e-4 relative)', async () => {
    const ms = clouds(5, [20], 3, 20, 'float32');
    const res = await ot.jobs.pairwise(ms, { reg: 0.05 });
    for (let i = 0; i < 5; i++) {
      for (let j = i; j < 5; j++) {
        const ref = reference(ms[i]!.x, ms[j]!.x, 0.05, 1e-6);
        expect(Math.abs(res.values.data[i * 5 + j]! - ref) / ref, `(${i}, ${j})`).toBeLessThan(1e-4);
      }
    }
  });

  it('weights and a second list (with): K x K2, every pair solved, as ot.solve with a and b', async () => {
    const rows = clouds(3, [7], 2, 30);
    const w = (n: number, seed: number): ot.Tensor => {
      const r = ot.rand([n], { seed }).add(0.1);
      return r.div(r.sum());
    };
    const cols = [{ x: ot.rand([11, 2], { seed: 40 }), w: w(11, 41) }, { x: ot.rand([7, 2], { seed: 42 }) }];
    const weighted = rows.map((m, k) => ({ ...m, w: w(7, 50 + k) }));
    const res = await ot.jobs.pairwise(weighted, { reg: 0.2, with: cols });
    expect(res.values.shape).toEqual([3, 2]);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) {
        const ref = reference(weighted[i]!.x, cols[j]!.x, 0.2, 1e-9, weighted[i]!.w, cols[j]!.w ?? ot.tensor(new Float64Array(7).fill(1 / 7)));
        expect(Math.abs(res.values.data[i * 2 + j]! - ref) / ref, `(${i}, ${j})`).toBeLessThan(1e-7);
      }
    }
  });

  it("an asymmetric metric ('kl') solves (i, j) and (j, i) separately", async () => {
    const ms = Array.from({ length: 3 }, (_, k) => ({ x: ot.rand([6, 4], { seed: 60 + k }).add(0.1) }));
    const res = await ot.jobs.pairwise(ms, { reg: 0.5, metric: 'kl' });
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const ref = reference(ms[i]!.x, ms[j]!.x, 0.5, 1e-9, undefined, undefined, 'kl');
        expect(Math.abs(res.values.data[i * 3 + j]! - ref) / Math.abs(ref), `(${i}, ${j})`).toBeLessThan(1e-7);
      }
    }
    expect(res.values.data[1]).not.toBe(res.values.data[3]);
  });
});

describe('jobs.pairwise runs', () => {
  it('values do not depend on chunkSize or concurrency (bitwise)', async () => {
    const ms = clouds(7, [10, 10, 13], 3, 70);
    const base = await ot.jobs.pairwise(ms, { reg: 0.1, chunkSize: 64, concurrency: 1 });
    for (const [chunkSize, concurrency] of [[1, 1], [3, 4], [5, 2]] as const) {
      const r = await ot.jobs.pairwise(ms, { reg: 0.1, chunkSize, concurrency });
      expect(sameBits(r.values, base.values), `chunkSize ${chunkSize}, concurrency ${concurrency}`).toBe(true);
      expect(r.nIter).toEqual(base.nIter);
    }
  });

  it('property: any chunk size gives the same bits', async () => {
    const ms = clouds(5, [8, 6], 2, 80, 'float32');
    const base = await ot.jobs.pairwise(ms, { reg: 0.1 });
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 3 }), async (chunkSize, concurrency) => {
      const r = await ot.jobs.pairwise(ms, { reg: 0.1, chunkSize, concurrency });
      return sameBits(r.values, base.values);
    }), { numRuns: 12 });
  });

  it('reports progress in matrix entries, ending at the total', async () => {
    const seen: ot.jobs.JobProgress[] = [];
    await ot.jobs.pairwise(clouds(6, [5], 2, 90), { reg: 0.3, chunkSize: 4, onProgress: (p) => seen.push({ ...p }) });
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.at(-1)).toMatchObject({ done: 36, total: 36, etaSeconds: 0 });
    for (let k = 1; k < seen.length; k++) expect(seen[k]!.done).toBeGreaterThan(seen[k - 1]!.done);
  });

  it('an aborted signal rejects with ERR_OT_ABORTED', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(ot.jobs.pairwise(clouds(3, [5], 2, 95), { reg: 0.3, signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    const late = new AbortController();
    const p = ot.jobs.pairwise(clouds(12, [60], 3, 96), { reg: 0.01, chunkSize: 2, signal: late.signal, onProgress: () => late.abort() });
    await expect(p).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
  });

  it('exact OT: every pair equals ot.solve without reg (network simplex), weights and mixed sizes included', async () => {
    const unit = (t: ot.Tensor) => t.div(t.sum());
    const ms = clouds(5, [6, 9, 7], 2, 100).map((m, k) => ({ ...m, w: k % 2 === 0 ? undefined : unit(ot.rand([m.x.shape[0]!], { seed: 300 + k }).add(0.1)) }));
    const res = await ot.jobs.pairwise(ms, { chunkSize: 3 });
    const weights = (m: (typeof ms)[number]) => m.w;
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 5; j++) {
        const want = ot.solve(ot.dist(ms[i]!.x, ms[j]!.x), weights(ms[i]!), weights(ms[j]!)).value.item();
        expect(Math.abs(res.values.data[i * 5 + j]! - want)).toBeLessThan(1e-12 + 1e-9 * want);
        expect(res.status[i]![j]).toBe('converged');
      }
    }
    await expect(ot.jobs.pairwise(ms, { exact: true, reg: 0.1 })).rejects.toMatchObject({ code: 'ERR_OT_ARG' });
  });
});

describe('jobs.pairwise bad input', () => {
  const good = clouds(2, [4], 2, 110);
  const cases: [string, () => Promise<unknown>, string, RegExp][] = [
    ['ragged points', () => ot.jobs.pairwise([good[0]!, { x: [[0, 1], [2]] }], { reg: 1 }), 'ERR_OT_SHAPE', /measures\[1\]\.x is ragged: point 0 has 2 coordinates but point 1 has 1/],
    ['negative weight', () => ot.jobs.pairwise([good[0]!, { x: [[0, 1], [2, 3]], w: [1.5, -0.5] }], { reg: 1 }), 'ERR_OT_VALUE', /measures\[1\]\.w\[1\] must be a finite number >= 0, got -0\.5/],
    ['mismatched dimensions', () => ot.jobs.pairwise([good[0]!, { x: [[0, 1, 2]] }], { reg: 1 }), 'ERR_OT_SHAPE', /measures\[1\] has points of dimension 3 but measures\[0\] has 2/],
    ['unequal masses', () => ot.jobs.pairwise([good[0]!, { x: [[0, 1], [2, 3]], w: [1, 1] }], { reg: 1 }), 'ERR_OT_VALUE', /measures\[1\] has total weight 2 but measures\[0\] has 1/],
    ['non-finite point', () => ot.jobs.pairwise([{ x: [[0, Number.NaN]] }], { reg: 1 }), 'ERR_OT_VALUE', /measures\[0\]\.x\[0\]\[1\] must be a finite number/],
    ['reg with exact', () => ot.jobs.pairwise(good, { reg: 1, exact: true }), 'ERR_OT_ARG', /reg and exact: true exclude each other/],
    ['unknown option', () => ot.jobs.pairwise(good, { reg: 1, chunksize: 3 } as never), 'ERR_OT_ARG', /unknown option 'chunksize'/],
    ['empty list', () => ot.jobs.pairwise([], { reg: 1 }), 'ERR_OT_ARG', /measures must be a non-empty array/],
    ['not a list', () => ot.jobs.pairwise(null as never, { reg: 1, with: 3 as never }), 'ERR_OT_ARG', /measures must be a non-empty array/],
    ['a measure without x', () => ot.jobs.pairwise([{ w: [1] } as never], { reg: 1 }), 'ERR_OT_ARG', /measures\[0\]\.x must be a Tensor or an array of points/],
    ...(ot.cuda.cudaAvailable() ? [] : [['cuda without a GPU', () => ot.jobs.pairwise(good, { reg: 1, device: 'cuda' }), 'ERR_OT_DEVICE', /device 'cuda' needs a usable GPU/] as [string, () => Promise<unknown>, string, RegExp]]),
    ['bad metric', () => ot.jobs.pairwise(good, { reg: 1, metric: 'cosine' as never }), 'ERR_OT_ARG', /metric must be one of/],
  ];
  for (const [name, call, code, message] of cases) {
    it(name, async () => {
      const e = await call().then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(OTError);
      expect((e as OTError).code).toBe(code);
      expect((e as OTError).message).toMatch(message);
    });
  }
});

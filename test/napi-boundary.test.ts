// Memory safety at the N-API boundary: outputs are made without the (user-replaceable) global typed
// array constructors, option getters run before any input pointer is taken, the raw cancel flag must
// be shared memory, and a cost matrix that overflows is ERR_OT_VALUE, never Infinity.
// Each reproduction runs in a child process: before these fixes several ended it with SIGSEGV.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { addon } from '../lib/native.js';
import { lastJson, runChild } from './helpers/child.js';

// Shared preamble: x, its options for the raw distForward, and a check against the cost matrix made
// once the globals are back. No addon output is made before the snippet replaces the constructor
// (the addon used to cache the global constructor at its first output).
const setup = `
const x = new Float64Array(600).map((_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
const opts = (xs) => ({ x: xs, y: xs, n: 300, m: 300, d: 2, metric: 'sqeuclidean', p: 2, same: true });
const same = (M) => { const want = addon.distForward(opts(x.slice())); return M.length === want.length && M.every((v, i) => v === want[i]); };
const detach = (a) => void structuredClone(a.buffer, { transfer: [a.buffer] });
`;

describe('outputs are not made through global constructors', () => {
  it('a replaced Float64Array (returning a 1-entry array) does not corrupt memory', () => {
    const r = runChild(`${setup}
const R = Float64Array;
globalThis.Float64Array = function () { return new R(1); };
const M = addon.distForward(opts(x));
globalThis.Float64Array = R;
console.log(JSON.stringify({ ok: same(M), length: M.length }));`);
    expect(r.signal).toBeNull();
    expect(lastJson(r)).toEqual({ ok: true, length: 90000 });
  });

  it('a constructor that detaches the input cannot make the result silently wrong', () => {
    const r = runChild(`${setup}
const R = Float64Array;
const xs = x.slice();
let called = 0;
globalThis.Float64Array = function (n) { called++; detach(xs); return new R(n); };
let out;
try { out = { ok: same(addon.distForward(opts(xs))) }; } catch (e) { out = { code: e.code }; }
globalThis.Float64Array = R;
console.log(JSON.stringify({ ...out, called }));`);
    expect(r.signal).toBeNull();
    expect(lastJson(r)).toEqual({ ok: true, called: 0 });
  });

  it('a subclass cannot grab and detach an async output while the job writes it', () => {
    const r = runChild(`${setup}
const R = Float64Array;
const grabbed = [];
globalThis.Float64Array = class extends R { constructor(...a) { super(...a); grabbed.push(this); } };
const jobs = [];
for (let k = 0; k < 8; k++) jobs.push(addon.distForwardAsync(opts(x)));
for (const g of grabbed) if (g.length === 90000) detach(g);
globalThis.Float64Array = R;
const outs = await Promise.all(jobs);
console.log(JSON.stringify({ ok: outs.every(same), grabbed: grabbed.filter((g) => g.length === 90000).length }));`);
    expect(r.signal).toBeNull();
    expect(lastJson(r)).toEqual({ ok: true, grabbed: 0 });
  });

  it('an option getter that detaches an input runs before its pointer is taken', () => {
    const r = runChild(`${setup}
const xs = x.slice();
const o = opts(xs);
delete o.metric;
Object.defineProperty(o, 'metric', { enumerable: true, get() { detach(xs); return 'sqeuclidean'; } });
let out;
try { addon.distForward(o); out = { code: 'none' }; } catch (e) { out = { code: e.code }; }
console.log(JSON.stringify(out));`);
    expect(r.signal).toBeNull();
    // The getter ran first, so the (now empty) x is refused by its length check.
    expect(lastJson(r)).toEqual({ code: 'ERR_OT_SHAPE' });
  });

  it('a Proxy options object is read once, before the inputs', () => {
    const x = ot.rand([20, 2], { dtype: 'float64', seed: 1 }).data;
    const reads = new Map<string | symbol, number>();
    const target = { x, y: x, n: 20, m: 20, d: 2, metric: 'euclidean', p: 2, same: true };
    const proxy = new Proxy(target, {
      get(t, k, recv) {
        reads.set(k, (reads.get(k) ?? 0) + 1);
        return Reflect.get(t, k, recv) as unknown;
      },
    });
    const M = addon.distForward(proxy) as Float64Array;
    expect(M.length).toBe(400);
    for (const [k, n] of reads) if (typeof k === 'string') expect([k, n]).toEqual([k, 1]);
  });

  it('an op with a GPU twin reads its options once in the async form too (the router shares its read)', async () => {
    const M = ot.rand([4, 3], { dtype: 'float64', seed: 2 }).data;
    const reads = new Map<string | symbol, number>();
    const target = { M, a: new Float64Array(4).fill(0.25), b: new Float64Array(3).fill(1 / 3), n: 4, m: 3, reg: 0.5, regType: 'KL', maxIter: 20, tol: 1e-9, record: 'none' };
    const proxy = new Proxy(target, {
      get(t, k, recv) {
        reads.set(k, (reads.get(k) ?? 0) + 1);
        return Reflect.get(t, k, recv) as unknown;
      },
    });
    const r = (await addon.sinkhornSolveAsync(proxy)) as { plan: Float64Array };
    expect(r.plan.length).toBe(12);
    expect(reads.get('M')).toBe(1);
    for (const [k, n] of reads) if (typeof k === 'string') expect([k, n]).toEqual([k, 1]);
  });
});

describe('the raw cancel flag', () => {
  const x = ot.rand([10, 2], { dtype: 'float64', seed: 1 }).data;
  const o = { x, y: x, n: 10, m: 10, d: 2, metric: 'sqeuclidean', p: 2, same: true };

  it('must be backed by a SharedArrayBuffer (a plain buffer can be freed under the running job)', async () => {
    expect(() => addon.distForward({ ...o, cancel: new Int32Array(1) })).toThrow(expect.objectContaining({ code: 'ERR_OT_ARG' }));
    await expect(addon.distForwardAsync({ ...o, cancel: new Int32Array(1) })).rejects.toMatchObject({ code: 'ERR_OT_ARG' });
    const shared = new Int32Array(new SharedArrayBuffer(4));
    expect((addon.distForward({ ...o, cancel: shared }) as Float64Array).length).toBe(100);
  });

  it('detaching a plain flag mid-job cannot make a spurious abort (it is refused up front)', async () => {
    const plain = new Int32Array(1);
    const M = ot.rand([400, 400], { dtype: 'float64', seed: 2 }).data;
    const job = addon.sinkhornSolveAsync({
      M, a: new Float64Array(400).fill(1 / 400), b: new Float64Array(400).fill(1 / 400), n: 400, m: 400,
      reg: 0.05, regType: 'entropy', maxIter: 200, tol: 0, record: 'none', cancel: plain,
    }) as Promise<unknown>;
    detach(plain);
    await expect(job).rejects.toMatchObject({ code: 'ERR_OT_ARG' });
  });
});

function detach(a: ArrayBufferView): void {
  structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
}

describe('an overflowing cost matrix', () => {
  it('is ERR_OT_VALUE, not Infinity entries (float32 values near 1e20)', () => {
    const x = ot.tensor([[1e20, -1e20], [-1e20, 1e20]], { dtype: 'float32' });
    expect(() => ot.dist(x, x)).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
    expect(() => ot.batch.distBatch(x.reshape([1, 2, 2]), x.reshape([1, 2, 2]))).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
  });

  it('finite large values still pass', () => {
    const x = ot.tensor([[1e18, 0], [0, 1e18]], { dtype: 'float32' });
    const M = ot.dist(x, x);
    expect(Array.from(M.data).every(Number.isFinite)).toBe(true);
  });
});

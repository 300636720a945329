// Tensor ops check their backing array and shape: a detached buffer or a shrunk resizable buffer is an
// ERR_OT_VALUE (never NaN or a raw TypeError), shapes must be non-negative integers, and reductions
// over empty tensors do no work.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';

const detach = (a: ArrayBufferView): void => void structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });

describe('a tensor whose storage went away', () => {
  it('detached: sum / exp / mean / add / toArray / clone / item throw ERR_OT_VALUE', () => {
    const t = ot.tensor([1, 2, 3, 4], { dtype: 'float64' });
    const u = ot.tensor([1, 2, 3, 4], { dtype: 'float64' });
    detach(t.data);
    const value = expect.objectContaining({ code: 'ERR_OT_VALUE', message: expect.stringContaining('detached') as unknown });
    expect(() => t.sum()).toThrow(value);
    expect(() => t.exp()).toThrow(value);
    expect(() => t.mean()).toThrow(value);
    expect(() => t.add(u)).toThrow(value);
    expect(() => u.add(t)).toThrow(value);
    expect(() => t.toArray()).toThrow(value);
    expect(() => t.clone()).toThrow(value);
    const one = ot.tensor([5], { dtype: 'float32' });
    detach(one.data);
    expect(() => one.item()).toThrow(value);
  });

  it('a resizable buffer that shrank under a length-tracking view', () => {
    const rab = new ArrayBuffer(32, { maxByteLength: 64 });
    const data = new Float64Array(rab);
    data.set([1, 2, 3, 4]);
    const t = new ot.Tensor(data, [4]);
    expect(t.sum().item()).toBe(10);
    rab.resize(16);
    expect(() => t.sum()).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
    expect(() => t.toArray()).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
    rab.resize(32); // back to its size: usable again
    expect(t.sum().item()).toBe(3);
  });

  it('native ops refuse it too', () => {
    const x = ot.rand([5, 2], { dtype: 'float64', seed: 1 });
    detach(x.data);
    expect(() => ot.dist(x, x)).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
  });
});

describe('tensor shapes', () => {
  it('negative or fractional dimensions are ERR_OT_SHAPE', () => {
    expect(() => new ot.Tensor(new Float64Array(1), [-1, -1])).toThrow(expect.objectContaining({ code: 'ERR_OT_SHAPE' }));
    expect(() => new ot.Tensor(new Float64Array(1), [0.5, 2])).toThrow(expect.objectContaining({ code: 'ERR_OT_SHAPE' }));
    expect(() => new ot.Tensor(new Float64Array(1), [NaN])).toThrow(expect.objectContaining({ code: 'ERR_OT_SHAPE' }));
    expect(new ot.Tensor(new Float64Array(6), [2, 3]).shape).toEqual([2, 3]);
  });

  it('a reduction of an empty tensor with huge dimensions returns at once', () => {
    const t0 = performance.now();
    const z = ot.zeros([2 ** 31, 2 ** 31, 0]);
    const s = z.sum(0);
    expect(s.shape).toEqual([2 ** 31, 0]);
    expect(z.sum().item()).toBe(0);
    expect(performance.now() - t0).toBeLessThan(200);
  });
});

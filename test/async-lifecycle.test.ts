// Async calls leave nothing behind and abort promptly: no Promise is retained per settled call (heap
// flat over 10,000 calls), a job aborted while it still waits for a pool thread rejects at once, and
// any number of calls share one 'abort' listener per signal.
import { queryObjects } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';
import { lastJson, runChild } from './helpers/child.js';
import { settle } from './helpers/memory.js';

let warn: ReturnType<typeof vi.spyOn>;
beforeAll(() => {
  warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
});
afterAll(() => warn.mockRestore());

const livePromises = (): number => {
  settle();
  return queryObjects(Promise, { format: 'count' }) as number;
};

describe('no async leaks', () => {
  it('10,000 settled async calls retain no Promise and the heap stays flat', async () => {
    const x = ot.rand([4, 2], { seed: 1, dtype: 'float64' });
    for (let k = 0; k < 200; k++) await ot.distAsync(x, x); // warm-up
    const before = livePromises();
    for (let k = 0; k < 10_000; k++) await ot.distAsync(x, x);
    expect(livePromises() - before).toBeLessThan(50); // one pending Deferred per call would be 10,000
    // The heap, in a fresh process (this one also holds the test runner's state): 10,000 calls more
    // after a warm-up leave it where it was (a retained Promise per call was about 45 bytes each).
    const r = runChild(`
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const heap = () => { for (let i = 0; i < 6; i++) gc(); return process.memoryUsage().heapUsed; };
const x = ot.rand([4, 2], { seed: 1, dtype: 'float64' });
for (let k = 0; k < 3000; k++) await ot.distAsync(x, x);
const h0 = heap();
for (let k = 0; k < 10000; k++) await ot.distAsync(x, x);
console.log(JSON.stringify({ growth: heap() - h0 }));`);
    expect(lastJson<{ growth: number }>(r).growth).toBeLessThan(200 * 1024);
  }, 120_000);

  it('failed async calls retain nothing either', async () => {
    const x = ot.rand([4, 2], { seed: 1, dtype: 'float64' });
    const before = livePromises();
    for (let k = 0; k < 2000; k++) await ot.distAsync(x, x, { metric: 'minkowski', p: 0.5 }).catch(() => {});
    expect(livePromises() - before).toBeLessThan(50);
  }, 60_000);
});

describe('prompt aborts', () => {
  const x = ot.rand([200, 2], { seed: 4 });
  const M = ot.dist(x, x);
  const endless = (signal: AbortSignal) => ot.solveAsync(M, ot.unif(200), ot.unif(200), { reg: 0.05, maxIter: 1e9, tol: 0, signal });

  it('a job queued behind busy pool threads rejects as soon as it is aborted', async () => {
    const busy = new AbortController();
    // More jobs than the thread pool has threads (4 by default): the last waits in the queue.
    const ahead = Array.from({ length: 4 }, () => endless(busy.signal).catch((e: unknown) => e));
    const mine = new AbortController();
    const queued = endless(mine.signal);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    mine.abort();
    await expect(queued).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    const ms = performance.now() - t0;
    busy.abort();
    for (const e of await Promise.all(ahead)) expect(e).toMatchObject({ code: 'ERR_OT_ABORTED' });
    expect(ms).toBeLessThan(100);
  }, 30_000);

  it('a running job still rejects promptly and stops its kernel', async () => {
    const ac = new AbortController();
    const job = endless(ac.signal);
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    await expect(job).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    // The pool thread is free again: a short solve completes.
    const y = ot.rand([20, 2], { seed: 5 });
    const r = await ot.solveAsync(ot.dist(y, y), ot.unif(20), ot.unif(20), { reg: 0.1 });
    expect(r.status).toBe('converged');
  }, 30_000);
});

describe('one abort listener per signal', () => {
  it('20 calls in flight on one signal print no MaxListenersExceededWarning', async () => {
    const seen: string[] = [];
    const onWarning = (w: Error): void => void seen.push(w.name);
    process.on('warning', onWarning);
    warn.mockRestore(); // let warnings through for this test
    try {
      const ac = new AbortController();
      const x = ot.rand([50, 2], { seed: 6 });
      const calls = Array.from({ length: 20 }, () => ot.distAsync(x, x, { signal: ac.signal }));
      await Promise.all(calls);
      const pending = Array.from({ length: 20 }, () => ot.distAsync(x, x, { signal: ac.signal }).catch((e: unknown) => e));
      ac.abort();
      for (const r of await Promise.all(pending)) expect(r).toMatchObject({ code: 'ERR_OT_ABORTED' });
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.off('warning', onWarning);
      warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    }
    expect(seen).not.toContain('MaxListenersExceededWarning');
  });

  it('the listener is removed once the calls on a signal settle', async () => {
    const ac = new AbortController();
    const add = vi.spyOn(ac.signal, 'addEventListener');
    const remove = vi.spyOn(ac.signal, 'removeEventListener');
    const x = ot.rand([30, 2], { seed: 7 });
    await Promise.all(Array.from({ length: 12 }, () => ot.distAsync(x, x, { signal: ac.signal })));
    expect(add.mock.calls.length).toBe(1);
    expect(remove.mock.calls.length).toBe(1);
  });
});

// onProgress of the async Sinkhorn solves (solveSampleAsync with lazy: true or dense, solveAsync with reg):
// reports with increasing iterations and finite errors, the last one at or before res.nIter, none after the
// promise settles, nothing that keeps the process alive; abort still works; a throwing callback stops the solve and rejects
// with its error; bad values and solvers without iterations are ERR_OT_ARG.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';

let warn: ReturnType<typeof vi.spyOn>;
beforeAll(() => {
  warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
});
afterAll(() => warn.mockRestore());

interface Report {
  iter: number;
  err: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectReports(seen: Report[], nIter: number): void {
  expect(seen.length).toBeGreaterThan(1);
  for (let k = 0; k < seen.length; k++) {
    expect(Number.isInteger(seen[k]!.iter)).toBe(true);
    expect(Number.isFinite(seen[k]!.err)).toBe(true);
    expect(seen[k]!.err).toBeGreaterThanOrEqual(0);
    if (k > 0) expect(seen[k]!.iter).toBeGreaterThan(seen[k - 1]!.iter);
  }
  expect(seen.at(-1)!.iter).toBeLessThanOrEqual(nIter);
}

describe('onProgress', () => {
  // About a second of iterations on this size: many 50 ms polls.
  const xA = ot.randn([1200, 3], { seed: 0, dtype: 'float64' });
  const xB = ot.randn([1100, 3], { seed: 1, dtype: 'float64' }).add(0.5);

  it('solveSampleAsync lazy: increasing iterations, finite errors, the last <= nIter, nothing after settling', async () => {
    const seen: Report[] = [];
    const res = await ot.solveSampleAsync(xA, xB, { reg: 0.05, lazy: true, maxIter: 300, tol: 0, onProgress: (p) => seen.push({ ...p }) });
    expectReports(seen, res.nIter);
    // The final report is flushed before the promise resolves: the last error check of the run.
    expect(seen.at(-1)!.iter).toBe(299);
    const count = seen.length;
    await sleep(150);
    expect(seen.length).toBe(count);
    // The errors are the kernel's own: they fall as the iterations converge.
    expect(seen.at(-1)!.err).toBeLessThan(seen[0]!.err);
  });

  it('solveSampleAsync lazy: a solve that converges reports its last check', async () => {
    const seen: Report[] = [];
    const res = await ot.solveSampleAsync(xA.slice(0, 0, 200), xB.slice(0, 0, 150), { reg: 0.5, lazy: true, tol: 1e-9, onProgress: (p) => seen.push({ ...p }) });
    expect(res.status).toBe('converged');
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.at(-1)!.iter).toBe(res.nIter);
    expect(seen.at(-1)!.err).toBeLessThanOrEqual(1e-9);
  });

  it('solveAsync (entropic Sinkhorn) and solveSampleAsync dense report too', async () => {
    const M = ot.dist(xA, xB);
    const seen: Report[] = [];
    const res = await ot.solveAsync(M, { reg: 0.01, maxIter: 3000, tol: 0, onProgress: (p) => seen.push({ ...p }) });
    expectReports(seen, res.nIter);
    const seen2: Report[] = [];
    const res2 = await ot.solveSampleAsync(xA, xB, { reg: 0.01, maxIter: 3000, tol: 0, onProgress: (p) => seen2.push({ ...p }) });
    expectReports(seen2, res2.nIter);
    // Same problem, same kernel: the same checks (up to the order of the threads' sums).
    const common = seen2.filter((p) => seen.some((q) => q.iter === p.iter));
    expect(common.length).toBeGreaterThan(0);
    for (const p of common) {
      const q = seen.find((r) => r.iter === p.iter)!;
      expect(Math.abs(p.err - q.err)).toBeLessThanOrEqual(1e-9 * q.err);
    }
  });

  it('the result does not depend on onProgress', async () => {
    const opts = { reg: 0.1, lazy: true, maxIter: 100, tol: 0 } as const;
    const a = await ot.solveSampleAsync(xA, xB, opts);
    const b = await ot.solveSampleAsync(xA, xB, { ...opts, onProgress: () => {} });
    expect(b.value.item()).toBe(a.value.item());
    expect(Array.from(b.potentials![0].data)).toEqual(Array.from(a.potentials![0].data));
  });

  it('an AbortSignal still stops the solve promptly; no report after the rejection', async () => {
    const seen: Report[] = [];
    const ac = new AbortController();
    const t0 = Date.now();
    const p = ot.solveSampleAsync(xA, xB, { reg: 0.01, lazy: true, maxIter: 1e6, tol: 0, signal: ac.signal, onProgress: (r) => seen.push(r) });
    setTimeout(() => ac.abort(), 200);
    await expect(p).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    expect(Date.now() - t0).toBeLessThan(5000);
    const count = seen.length;
    await sleep(150);
    expect(seen.length).toBe(count);
  });

  it('a throw from the callback stops the solve and rejects with that error; the process carries on', async () => {
    const boom = new Error('enough');
    let calls = 0;
    const t0 = Date.now();
    const p = ot.solveSampleAsync(xA, xB, { reg: 0.01, lazy: true, maxIter: 1e6, tol: 0, onProgress: () => {
      calls++;
      throw boom;
    } });
    await expect(p).rejects.toBe(boom);
    expect(Date.now() - t0).toBeLessThan(10_000); // 1e6 iterations would take hours
    expect(calls).toBe(1);
    const M = ot.dist(xA.slice(0, 0, 300), xB.slice(0, 0, 300));
    await expect(ot.solveAsync(M, { reg: 0.001, maxIter: 1e7, tol: 0, onProgress: () => {
      throw new TypeError('bad');
    } })).rejects.toThrow(TypeError);
    // Still usable afterwards.
    const ok = await ot.solveSampleAsync(xA.slice(0, 0, 50), xB.slice(0, 0, 40), { reg: 0.5, lazy: true, onProgress: () => {} });
    expect(ok.status).toBe('converged');
  });

  it('leaves nothing that keeps the process alive', () => {
    const lib = fileURLToPath(new URL('../lib/index.ts', import.meta.url));
    const workload = `
import * as ot from ${JSON.stringify(lib)};
process.emitWarning = () => {};
const x = ot.randn([400, 3], { seed: 0 }), y = ot.randn([400, 3], { seed: 1 });
let calls = 0;
await ot.solveSampleAsync(x, y, { reg: 0.05, lazy: true, maxIter: 100, tol: 0, onProgress: () => { calls++; } });
await ot.solveAsync(ot.dist(x, y), { reg: 0.05, maxIter: 100, tol: 0, onProgress: () => { calls++; } });
globalThis.t0 = Date.now();
process.on('exit', () => console.log(JSON.stringify({ calls, exitMs: Date.now() - globalThis.t0 })));
`;
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', workload], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { calls: number; exitMs: number };
    expect(r.calls).toBeGreaterThanOrEqual(2);
    // The event loop empties as soon as the solves are done (a live 50 ms poll would hold it).
    expect(r.exitMs).toBeLessThan(40);
  });

  it('rejects a non-function and solvers without Sinkhorn iterations (ERR_OT_ARG)', async () => {
    const M = ot.dist(xA.slice(0, 0, 20), xB.slice(0, 0, 20));
    const arg = { code: 'ERR_OT_ARG' };
    await expect(ot.solveSampleAsync(xA, xB, { reg: 0.1, lazy: true, onProgress: 5 as never })).rejects.toMatchObject({ ...arg, message: expect.stringMatching(/onProgress must be a function/) });
    await expect(ot.solveAsync(M, { reg: 0.1, onProgress: 'x' as never })).rejects.toMatchObject({ ...arg, message: expect.stringMatching(/onProgress must be a function/) });
    await expect(ot.solveAsync(M, { onProgress: () => {} })).rejects.toMatchObject({ ...arg, message: expect.stringMatching(/balanced entropic Sinkhorn/) });
    await expect(ot.solveAsync(M, { reg: 0.1, unbalanced: 1, onProgress: () => {} })).rejects.toMatchObject({ ...arg, message: expect.stringMatching(/balanced entropic Sinkhorn/) });
    await expect(ot.solveAsync(M, { reg: 0.1, epsScaling: true, onProgress: () => {} })).rejects.toMatchObject({ ...arg, message: expect.stringMatching(/epsScaling/) });
    await expect(ot.solveSampleAsync(xA, xB, { method: '1d', onProgress: () => {} })).rejects.toMatchObject({ ...arg, message: expect.stringMatching(/method '1d' has none/) });
    await expect(ot.solveSampleAsync(xA, xB, { method: 'gaussian', onProgress: () => {} })).rejects.toMatchObject({ ...arg, message: expect.stringMatching(/method 'gaussian' has none/) });
    // The synchronous solvers block the event loop: no callback could run, so the option is unknown there.
    expect(() => ot.solveSample(xA, xB, { reg: 0.1, lazy: true, onProgress: () => {} } as never)).toThrow(expect.objectContaining({ code: 'ERR_OT_ARG', message: expect.stringMatching(/onProgress/) }));
    expect(() => ot.solve(M, { reg: 0.1, onProgress: () => {} } as never)).toThrow(expect.objectContaining({ code: 'ERR_OT_ARG', message: expect.stringMatching(/onProgress/) }));
  });
});

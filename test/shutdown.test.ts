// Shutdown with async jobs in flight: process.exit(), an uncaught exception and worker.terminate()
// end promptly although a solve with maxIter 1e9 runs on the thread pool (the environment's stop flag
// aborts it), and the addon loads in workers again and again.
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, esmEntry } from './helpers/built-package.js';
import { lastJson, runChild } from './helpers/child.js';

// A solve that would run for minutes: no tolerance, a billion iterations.
const endless = `
const x = ot.rand([200, 2], { seed: 1 });
const M = ot.dist(x, x);
const endless = () => ot.solveAsync(M, ot.unif(200), ot.unif(200), { reg: 0.05, maxIter: 1e9, tol: 0 });
`;

describe('exit with jobs in flight', () => {
  it('process.exit() from a timer exits within 2 s', () => {
    const r = runChild(`${endless}
for (let k = 0; k < 3; k++) endless().catch(() => {});
setTimeout(() => { console.log('exiting'); process.exit(0); }, 300);`, { timeoutMs: 20_000 });
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('exiting');
    expect(r.ms).toBeLessThan(2000 + 3000); // 2 s plus the child's start-up (tsx, the addon)
  });

  it('an uncaught exception exits (status 1) instead of hanging', () => {
    const r = runChild(`${endless}
endless().catch(() => {});
setTimeout(() => { throw new Error('boom'); }, 300);`, { timeoutMs: 20_000 });
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('boom');
  });

  it('the exit itself is prompt: measured inside the process', () => {
    const r = runChild(`${endless}
for (let k = 0; k < 4; k++) endless().catch(() => {});
setTimeout(() => {
  process.stdout.write(JSON.stringify({ exitAt: Date.now() }) + '\\n');
  process.exit(0);
}, 300);`, { timeoutMs: 20_000 });
    expect(r.timedOut).toBe(false);
    const { exitAt } = lastJson<{ exitAt: number }>(r);
    // From the exit call to the parent seeing the process gone.
    expect(Date.now() - exitAt).toBeLessThan(2000);
  });
});

describe('worker threads', () => {
  // Workers load the built package (a worker evaluated from a string gets no TypeScript loader).
  beforeAll(() => ensureBuilt(), 180_000);

  it('load in 4 workers, terminate them mid-job, reload 20 times', () => {
    const r = runChild(`
import { Worker } from 'node:worker_threads';
const code = \`
import * as ot from '${pathToFileURL(esmEntry).href}';
import { parentPort } from 'node:worker_threads';
const x = ot.rand([150, 2], { seed: 2 });
const M = ot.dist(x, x);
const v = ot.solve(M, ot.unif(150), ot.unif(150), { reg: 0.1 }).value.item();
ot.solveAsync(M, ot.unif(150), ot.unif(150), { reg: 0.05, maxIter: 1e9, tol: 0 }).catch(() => {});
parentPort.postMessage(v);
\`;
const t0 = Date.now();
let slowest = 0;
const values = new Set();
for (let round = 0; round < 20; round++) {
  const workers = Array.from({ length: 4 }, () => new Worker(new URL('data:text/javascript,' + encodeURIComponent(code))));
  const got = await Promise.all(workers.map((w) => new Promise((res, rej) => { w.once('message', res); w.once('error', rej); })));
  for (const v of got) values.add(v.toPrecision(12));
  await new Promise((res) => setTimeout(res, 20)); // the endless solves are running
  const t = Date.now();
  await Promise.all(workers.map((w) => w.terminate()));
  slowest = Math.max(slowest, Date.now() - t);
}
console.log(JSON.stringify({ slowest, values: values.size, total: Date.now() - t0 }));
`, { timeoutMs: 240_000 });
    expect(r.timedOut).toBe(false);
    expect(r.signal).toBeNull();
    const out = lastJson<{ slowest: number; values: number }>(r);
    expect(out.values).toBe(1); // every worker computed the same value
    expect(out.slowest).toBeLessThan(2000);
  }, 300_000);
});

// Benchmark of the lazy (O(n + m) memory) Sinkhorn of ot.solveSample({ lazy: true }):
// 1. n = m = 4000, d = 3, float64, reg 0.1, exactly ITERS = 20 iterations (tol 0) against POT's
//    solve_sample(lazy=True) on the same points in the same run (bench/oracle/bench_pot_lazy.py): the
//    first (cold) call, then the median of the trials after it; the two value_linear agree;
// 2. n = m = 40000, d = 3, float32, forward + backward (value.backward(): the gradients w.r.t. both
//    clouds) in a child process: peak RSS growth over the process before the solve (a dense float32 cost
//    alone would be 6 GiB), and the time per iteration per cost entry against the dense Sinkhorn's at
//    n = m = 4000 (whose M fits);
// 3. the Sinkhorn divergence at n = m = 5000, d = 3, float64, reg 0.1, DIV_ITERS iterations per solve (tol 0):
//    ot.sinkhornDivergence lazy (forward, and forward + backward w.r.t. both clouds) and dense (forward +
//    backward) against POT's ot.bregman.empirical_sinkhorn_divergence (numpy, isLazy=True, and dense) on the
//    same points in the same run (bench/oracle/bench_pot_lazy_divergence.py): one warm-up call timed as the
//    cold run, then the median of the trials; the load average is printed with the timings.
// Usage: npx tsx bench/lazy.ts [--json] [--trials N] [--pot-trials N] [--big-iters K] [--no-pot] [--no-big]
//        [--no-div] [--div-only] [--div-trials N] [--div-pot-trials N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ot from '../lib/index.js';
import { argValue, hasFlag, numberArg } from './helpers/cli.js';
import { runPot } from './helpers/oracle.js';
import { fixed, printJson, printTable, speedup } from './helpers/table.js';
import { measure } from './helpers/timing.js';

const REG = 0.1;
const ITERS = 20;
const DIV_N = 5000;
const DIV_ITERS = 10;
const here = dirname(fileURLToPath(import.meta.url));

function firstAndMedian(trials: number, fn: () => void): { first: number; ms: number } {
  const t0 = process.hrtime.bigint();
  fn();
  const first = Number(process.hrtime.bigint() - t0) / 1e6;
  return { first, ms: measure(fn, { trials, warmup: 0 }).ms };
}

/** Part 2, run in a child process so its peak RSS is its own: one forward + backward at n = m = `n`. */
function bigRun(n: number, iters: number): void {
  const x = ot.randn([n, 3], { seed: 0, dtype: 'float32', requiresGrad: true });
  const y = ot.randn([n, 3], { seed: 1, dtype: 'float32', requiresGrad: true });
  // Warm the addon and the thread team on a small problem before the baseline.
  ot.solveSample(ot.randn([64, 3], { dtype: 'float32' }), ot.randn([64, 3], { dtype: 'float32' }), { reg: REG, lazy: true, maxIter: 2, tol: 0 });
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const res = ot.solveSample(x, y, { reg: REG, lazy: true, maxIter: iters, tol: 0 });
  const t1 = process.hrtime.bigint();
  res.value.backward();
  const t2 = process.hrtime.bigint();
  const peak = process.resourceUsage().maxRSS * 1024;
  let gradOk = true;
  for (const v of x.grad!.data) gradOk &&= Number.isFinite(v);
  console.log(JSON.stringify({
    n, iters, rssBeforeMiB: rssBefore / 2 ** 20, peakMiB: peak / 2 ** 20, growthMiB: (peak - rssBefore) / 2 ** 20,
    forwardMs: Number(t1 - t0) / 1e6, backwardMs: Number(t2 - t1) / 1e6, value: res.value.item(), gradFinite: gradOk,
  }));
}

interface BigResult { n: number; iters: number; rssBeforeMiB: number; peakMiB: number; growthMiB: number; forwardMs: number; backwardMs: number; value: number; gradFinite: boolean }

function big(iters: number): BigResult | null {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child-big', '40000', '--big-iters', String(iters)], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`the n = 40000 run failed: ${r.stderr}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as BigResult;
}

/** Dense float32 Sinkhorn at n = m = 4000 (M stored): ms per iteration. */
function densePerIter(trials: number): number {
  const x = ot.randn([4000, 3], { seed: 0, dtype: 'float32' }), y = ot.randn([4000, 3], { seed: 1, dtype: 'float32' });
  const M = ot.dist(x, y);
  const { ms } = firstAndMedian(trials, () => void ot.solve(M, { reg: REG, maxIter: ITERS, tol: 0, grad: 'detach' }));
  return ms / ITERS;
}

interface DivRow { solver: string; firstMs: number | null; ms: number | null; value: number | null }

/** Part 3: the Sinkhorn divergence at n = m = DIV_N, ours (lazy, dense) and POT's (lazy, dense). */
function divergence(trials: number, potTrials: number, withPot: boolean): { rows: DivRow[]; load: number[]; pot: string | null } {
  const xs = ot.randn([DIV_N, 3], { seed: 2, dtype: 'float64' }), xt = ot.randn([DIV_N, 3], { seed: 3, dtype: 'float64' }).add(0.5);
  const opts = { reg: REG, maxIter: DIV_ITERS, tol: 0 };
  const ours = (lazy: boolean, backward: boolean): DivRow => {
    let value = NaN;
    const t = firstAndMedian(trials, () => {
      const x = backward ? xs.clone().requiresGrad_(true) : xs, y = backward ? xt.clone().requiresGrad_(true) : xt;
      const S = ot.sinkhornDivergence(x, y, { ...opts, lazy });
      value = S.item();
      if (backward) S.backward();
    });
    return { solver: `sinkhornDivergence ${lazy ? 'lazy' : 'dense'} (ours)${backward ? ' + backward' : ''}`, firstMs: t.first, ms: t.ms, value };
  };
  const rows = [ours(true, false), ours(true, true), ours(false, true)];
  let version: string | null = null;
  if (withPot) {
    const dir = mkdtempSync(join(tmpdir(), 'ot-lazy-div-'));
    const file = join(dir, 'points.json');
    writeFileSync(file, JSON.stringify({ x_s: xs.toArray(), x_t: xt.toArray() }));
    for (const lazy of [true, false]) {
      const r = runPot([join(here, 'oracle', 'bench_pot_lazy_divergence.py'), file, String(DIV_ITERS), String(potTrials), String(REG), lazy ? '1' : '0']).result as Record<string, number> | null;
      version = r ? String(r.pot) : version;
      rows.push({ solver: `POT empirical_sinkhorn_divergence${lazy ? ' isLazy' : ''}`, firstMs: r ? r.first! * 1e3 : null, ms: r ? r.median! * 1e3 : null, value: r ? r.value! : null });
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, load: loadavg(), pot: version };
}

function printDivergence(d: ReturnType<typeof divergence>, trials: number, potTrials: number): void {
  console.log(`\nSinkhorn divergence, n = m = ${DIV_N}, d = 3, float64, reg ${REG}, ${DIV_ITERS} iterations per solve (tol 0); ` +
    `ours: cold, then median of ${trials}; POT ${d.pot ?? 'n/a'} (numpy, no gradient): cold, then median of ${potTrials}; ` +
    `load average ${d.load.map((l) => l.toFixed(2)).join(' ')}`);
  const lazyMs = d.rows[0]!.ms!;
  printTable(
    [{ title: 'solver', align: 'left' }, { title: 'cold ms' }, { title: 'median ms' }, { title: 'value' }, { title: 'ours lazy fwd speed-up' }],
    d.rows.map((r) => [r.solver, fixed(r.firstMs), fixed(r.ms), r.value === null ? 'n/a' : r.value.toPrecision(12), r === d.rows[0] ? '' : speedup(r.ms, lazyMs)]),
  );
}

function main(): void {
  const childBig = argValue('--child-big');
  if (childBig !== undefined) {
    bigRun(Number(childBig), numberArg('--big-iters', 10));
    return;
  }
  const divTrials = numberArg('--div-trials', 3);
  const divPotTrials = numberArg('--div-pot-trials', 1);
  if (hasFlag('--div-only')) {
    const d = divergence(divTrials, divPotTrials, !hasFlag('--no-pot'));
    if (hasFlag('--json')) printJson(d);
    else printDivergence(d, divTrials, divPotTrials);
    return;
  }
  const trials = numberArg('--trials', 5);
  const potTrials = numberArg('--pot-trials', 1);
  const bigIters = numberArg('--big-iters', 10);
  const xa = ot.randn([4000, 3], { seed: 0, dtype: 'float64' }), xb = ot.randn([4000, 3], { seed: 1, dtype: 'float64' });
  const opts = { reg: REG, lazy: true, maxIter: ITERS, tol: 0 } as const;
  let ours: ot.SampleResult | null = null;
  const t = firstAndMedian(trials, () => { ours = ot.solveSample(xa, xb, opts); });
  let pot: Record<string, number> | null = null;
  if (!hasFlag('--no-pot')) {
    const dir = mkdtempSync(join(tmpdir(), 'ot-lazy-'));
    const file = join(dir, 'points.json');
    writeFileSync(file, JSON.stringify({ x_a: xa.toArray(), x_b: xb.toArray() }));
    pot = runPot([join(here, 'oracle', 'bench_pot_lazy.py'), file, String(ITERS), String(potTrials), String(REG)]).result as Record<string, number> | null;
    rmSync(dir, { recursive: true, force: true });
  }
  const valueLinear = (ours as ot.SampleResult | null)!.valueLinear.item();
  const dense = hasFlag('--no-big') ? null : densePerIter(3);
  const bigRes = hasFlag('--no-big') ? null : big(bigIters);
  const threads = ot.backend().threads;
  // Passes per solve: the first row pass, then a column and a row pass per iteration (the last
  // iteration's row pass is skipped); the backward's two passes are timed separately.
  const lazyNsPerEntry = bigRes ? (bigRes.forwardMs * 1e6) / ((2 * bigRes.iters) * bigRes.n * bigRes.n) : null;
  const denseNsPerEntry = dense !== null ? (dense * 1e6) / (4000 * 4000) : null;
  const out = {
    workload: 'n = m = 4000, d = 3, float64, reg 0.1, 20 iterations (tol 0)', trials, threads,
    ours: { firstMs: t.first, ms: t.ms, valueLinear },
    pot: pot && { firstMs: pot.lazy_first! * 1e3, ms: pot.lazy! * 1e3, valueLinear: pot.value_linear, version: pot.pot },
    big: bigRes, denseMsPerIter4000: dense, lazyNsPerEntryIter: lazyNsPerEntry, denseNsPerEntryIter: denseNsPerEntry,
    divergence: hasFlag('--no-div') ? null : divergence(divTrials, divPotTrials, !hasFlag('--no-pot')),
  };
  if (hasFlag('--json')) {
    printJson(out);
    return;
  }
  console.log(`Lazy Sinkhorn, ${out.workload}; ours: median of ${trials}, POT: median of ${potTrials} (${threads} threads)`);
  printTable(
    [{ title: 'solver', align: 'left' }, { title: 'first ms' }, { title: 'median ms' }, { title: 'value_linear' }, { title: 'speed-up' }],
    [
      ['solveSample lazy (ours)', fixed(t.first), fixed(t.ms), valueLinear.toPrecision(12), ''],
      ['POT solve_sample lazy', fixed(out.pot?.firstMs), fixed(out.pot?.ms), out.pot ? Number(out.pot.valueLinear).toPrecision(12) : 'n/a', speedup(out.pot?.ms, t.ms)],
    ],
  );
  if (bigRes) {
    console.log(`\nn = m = ${bigRes.n}, d = 3, float32, ${bigRes.iters} iterations + backward: forward ${fixed(bigRes.forwardMs, 0)} ms ` +
      `(${fixed(bigRes.forwardMs / bigRes.iters, 0)} ms / iteration), backward ${fixed(bigRes.backwardMs, 0)} ms; ` +
      `peak RSS ${fixed(bigRes.peakMiB, 0)} MiB, growth ${fixed(bigRes.growthMiB, 1)} MiB (target <= 128; dense M alone: 6104 MiB); gradient finite: ${bigRes.gradFinite}`);
    console.log(`time per iteration per cost entry: lazy ${fixed(lazyNsPerEntry, 3)} ns at n = 40000 vs dense (stored M) ${fixed(denseNsPerEntry, 3)} ns at n = 4000`);
  }
  if (out.divergence) printDivergence(out.divergence, divTrials, divPotTrials);
}

main();

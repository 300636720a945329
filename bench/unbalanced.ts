// Benchmark of unbalanced entropic OT and reg annealing on the seed workload (x, y uniform in
// [0,1)^5, n = m = 300, M = dist(x, y) float32, uniform a, b):
// 1. time per iteration of the unbalanced KL Sinkhorn against the balanced one (both forced to run
//    exactly ITERS iterations, tol = 0), and POT's sinkhorn_log / sinkhorn_unbalanced in the same run
//    (bench/oracle/bench_pot_unbalanced.py): first (cold) call, then the median of TRIALS;
// 2. epsScaling: total Sinkhorn iterations (and time) at reg = 1e-3 with and without annealing.
// Usage: npx tsx bench/unbalanced.ts [--json] [--trials N] [--iters K] [--no-pot]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ot from '../lib/index.js';
import { hasFlag, numberArg } from './helpers/cli.js';
import { runPot } from './helpers/oracle.js';
import { fixed, printJson, printTable, speedup } from './helpers/table.js';
import { measure } from './helpers/timing.js';

const REG = 0.03;
const REG_M = 1;

function workload(dtype: 'float32' | 'float64' = 'float32'): ot.Tensor {
  const x = ot.rand([300, 5], { seed: 0, dtype: 'float32' });
  const y = ot.rand([300, 5], { seed: 1, dtype: 'float32' });
  return ot.dist(x, y).to(dtype);
}

/** First call's ms and the median of `trials` after it. */
function firstAndMedian(trials: number, fn: () => void): { first: number; ms: number } {
  const t0 = process.hrtime.bigint();
  fn();
  const first = Number(process.hrtime.bigint() - t0) / 1e6;
  return { first, ms: measure(fn, { trials, warmup: 0 }).ms };
}

interface IterRow {
  solver: string;
  firstMs: number;
  ms: number;
  usPerIter: number;
  potUsPerIter: number | null;
}

function perIteration(iters: number, trials: number, pot: Record<string, number> | null): IterRow[] {
  const M = workload();
  const opts = { reg: REG, tol: 0, maxIter: iters, grad: 'detach' as const };
  const rows: [string, () => void, string][] = [
    ['balanced (sinkhorn_log)', () => void ot.solve(M, opts), 'balanced'],
    [`unbalanced KL, unbalanced = ${REG_M}`, () => void ot.solve(M, { ...opts, unbalanced: REG_M }), 'unbalanced'],
  ];
  return rows.map(([solver, fn, key]) => {
    const { first, ms } = firstAndMedian(trials, fn);
    const potS = pot?.[key];
    return { solver, firstMs: first, ms, usPerIter: (ms * 1e3) / iters, potUsPerIter: typeof potS === 'number' ? (potS * 1e6) / iters : null };
  });
}

interface EpsRow {
  tol: number;
  dtype: string;
  coldIter: number;
  coldStatus: string;
  coldMs: number;
  warmIter: number;
  warmStatus: string;
  warmMs: number;
}

function epsScaling(): EpsRow[] {
  const rows: EpsRow[] = [];
  for (const [dtype, tol] of [['float32', 1e-6], ['float64', 1e-6], ['float64', 1e-8]] as const) {
    const M = workload(dtype);
    const base = { reg: 1e-3, tol, maxIter: 200000, grad: 'detach' as const };
    let t = process.hrtime.bigint();
    const cold = ot.solve(M, base);
    const coldMs = Number(process.hrtime.bigint() - t) / 1e6;
    t = process.hrtime.bigint();
    const warm = ot.solve(M, { ...base, epsScaling: true });
    const warmMs = Number(process.hrtime.bigint() - t) / 1e6;
    rows.push({ tol, dtype, coldIter: cold.nIter + 1, coldStatus: cold.status, coldMs, warmIter: warm.nIter + 1, warmStatus: warm.status, warmMs });
  }
  return rows;
}

function main(): void {
  const trials = numberArg('--trials', 5);
  const iters = numberArg('--iters', 500);
  const script = join(dirname(fileURLToPath(import.meta.url)), 'oracle', 'bench_pot_unbalanced.py');
  const pot = hasFlag('--no-pot') ? null : (runPot([script, String(iters), String(trials), String(REG), String(REG_M)]).result as Record<string, number> | null);
  const rows = perIteration(iters, trials, pot);
  const eps = epsScaling();
  const threads = ot.backend().threads;
  if (hasFlag('--json')) {
    printJson({ workload: 'seed n = m = 300, d = 5', reg: REG, unbalanced: REG_M, iters, trials, threads, pot, rows, epsScaling: eps });
    return;
  }
  console.log(`Unbalanced vs balanced Sinkhorn: n = m = 300, d = 5, float32 M, reg = ${REG}, ${iters} iterations (tol 0), median of ${trials} (${threads} threads)`);
  printTable(
    [{ title: 'solver', align: 'left' }, { title: 'first ms' }, { title: 'median ms' }, { title: 'µs / iter' }, { title: 'POT+torch µs / iter' }, { title: 'ratio' }],
    rows.map((r) => [r.solver, fixed(r.firstMs), fixed(r.ms), fixed(r.usPerIter), fixed(r.potUsPerIter), speedup(r.potUsPerIter, r.usPerIter)]),
  );
  const [bal, unb] = rows;
  console.log(`unbalanced / balanced time per iteration: ${fixed(unb!.usPerIter / bal!.usPerIter, 3)}`);
  console.log('\nepsScaling at reg = 1e-3 (total iterations over all stages; decay 0.5 from max |M|):');
  printTable(
    [{ title: 'M' , align: 'left' }, { title: 'tol' }, { title: 'cold iters' }, { title: 'cold ms' }, { title: 'annealed iters' }, { title: 'annealed ms' }, { title: 'fewer' }],
    eps.map((r) => [r.dtype, String(r.tol), `${r.coldIter} (${r.coldStatus})`, fixed(r.coldMs, 0), `${r.warmIter} (${r.warmStatus})`, fixed(r.warmMs, 0), `${fixed(r.coldIter / r.warmIter, 1)}x`]),
  );
}

main();

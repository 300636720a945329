// Benchmark of the "Sinkhorn gradients" workload (POT: ot.solve(M, a, b, reg=0.03, grad=mode) then
// value.backward()): x, y uniform in [0,1)^5, n = m = 300, M = dist(x, y) float32, uniform a, b; median
// of 10 after a warm-up, against POT + torch (bench_pot.py sinkhorn_grads) in the same run when the
// oracle is installed. User-style timing: one warm-up call (timed: the cold run), then the median of
// 10 runs; POT is timed the same way. Plus autodiff at n = m = 2000 with its peak memory (child process).
// Usage: npx tsx bench/sinkhorn-gradients.ts [--json] [--trials N] [--no-pot] [--no-large]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as ot from '../lib/index.js';
import { argValue, hasFlag, numberArg } from './helpers/cli.js';
import { runOracle } from './helpers/oracle.js';
import { fixed, printJson, printTable, speedup } from './helpers/table.js';
import { measure, timeMs } from './helpers/timing.js';

const MODES = ['autodiff', 'envelope', 'last_step'] as const;
type Mode = (typeof MODES)[number];
const REG = 0.03;

function problem(n: number): { M0: ot.Tensor; a0: ot.Tensor; b0: ot.Tensor } {
  const x = ot.rand([n, 5], { seed: 0, dtype: 'float32' });
  const y = ot.rand([n, 5], { seed: 1, dtype: 'float32' });
  return { M0: ot.dist(x, y), a0: ot.unif(n), b0: ot.unif(n) };
}

// One solve + value.backward() with fresh leaves, as bench_pot.py does.
function step(M0: ot.Tensor, a0: ot.Tensor, b0: ot.Tensor, grad: Mode): ot.OTResult {
  const M = M0.detach().requiresGrad_(true);
  const a = ot.tensor(a0, { requiresGrad: true });
  const b = ot.tensor(b0, { requiresGrad: true });
  const res = ot.solve(M, a, b, { reg: REG, grad });
  res.value.backward();
  return res;
}

interface ModeRow {
  mode: Mode;
  ms: number;
  /** The first call of the mode (cold: JIT and first-touch pages included). */
  coldMs: number;
  forwardMs: number;
  nIter: number;
  potMs: number | null;
  ratio: number | null;
}

function benchModes(trials: number, pot: Record<string, number> | null): { rows: ModeRow[]; value: number } {
  const { M0, a0, b0 } = problem(300);
  const rows = MODES.map((mode): ModeRow => {
    const { ms, coldMs } = measure(() => void step(M0, a0, b0, mode), { trials });
    const forwardMs = timeMs(trials, () => void ot.solve(M0, a0, b0, { reg: REG, grad: mode === 'autodiff' ? 'detach' : mode }));
    const nIter = step(M0, a0, b0, mode).nIter;
    const potMs = pot && typeof pot[mode] === 'number' ? pot[mode]! * 1e3 : null;
    return { mode, ms, coldMs, forwardMs, nIter, potMs, ratio: potMs === null ? null : potMs / ms };
  });
  return { rows, value: ot.solve(M0, a0, b0, { reg: REG }).value.item() };
}

interface LargeRow {
  n: number;
  ms: number;
  nIter: number;
  peakExtraMiB: number;
  /** Extra peak memory in units of one n x m float32 buffer. */
  extraBuffers: number;
}

// Child-process body: peak RSS growth of one autodiff solve + backward at n = m = 2000.
function largeChild(n: number): LargeRow {
  const { M0, a0, b0 } = problem(n);
  const small = problem(64);
  step(small.M0, small.a0, small.b0, 'autodiff');  // load and JIT everything first
  const before = process.resourceUsage().maxRSS * 1024;
  const t0 = process.hrtime.bigint();
  const res = step(M0, a0, b0, 'autodiff');
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const after = process.resourceUsage().maxRSS * 1024;
  const extra = after - before;
  return { n, ms, nIter: res.nIter, peakExtraMiB: extra / 2 ** 20, extraBuffers: extra / (n * n * 4) };
}

function benchLarge(n: number): LargeRow | null {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child-large', String(n)], {
    encoding: 'utf8',
    env: process.env,
  });
  if (r.status !== 0) {
    console.error(`large run failed: ${(r.stderr ?? '').trim().split('\n').pop()}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as LargeRow;
}

function main(): void {
  const child = argValue('--child-large');
  if (child !== undefined) {
    console.log(JSON.stringify(largeChild(Number(child))));
    return;
  }
  const trials = numberArg('--trials', 10);
  const oracle = hasFlag('--no-pot') ? null : (runOracle(['sinkhorn_grads']).result as { sinkhorn_grads?: Record<string, number> } | null);
  const pot = oracle?.sinkhorn_grads ?? null;
  const { rows, value } = benchModes(trials, pot);
  const large = hasFlag('--no-large') ? null : benchLarge(2000);
  const threads = ot.backend().threads;
  if (hasFlag('--json')) {
    printJson({ workload: 'sinkhorn_grads', n: 300, reg: REG, trials, threads, value, potValue: pot?.value ?? null, rows, large });
    return;
  }
  console.log(`Sinkhorn gradients: n = m = 300, d = 5, reg = ${REG}, float32 M, ${threads} threads; user-style: median of ${trials} runs after one warm-up (POT the same), cold = the warm-up run`);
  console.log(`value ours ${value.toFixed(6)}  POT ${pot ? Number(pot.value).toFixed(6) : '—'} (different random draws)`);
  printTable(
    [{ title: 'mode', align: 'left' }, { title: 'solve+backward ms' }, { title: 'cold ms' }, { title: '(forward ms)' }, { title: 'nIter' }, { title: 'POT+torch ms' },
      { title: 'ratio' }, { title: '(goal)', align: 'left' }],
    rows.map((r) => [r.mode, fixed(r.ms), fixed(r.coldMs), `(${fixed(r.forwardMs)})`, String(r.nIter), fixed(r.potMs), speedup(r.potMs, r.ms),
      `>= ${r.mode === 'autodiff' ? 20 : 15}×`]),
  );
  if (large) {
    console.log(`autodiff n = m = ${large.n}: ${fixed(large.ms, 1)} ms, nIter ${large.nIter}, peak extra memory ${fixed(large.peakExtraMiB, 1)} MiB = ${fixed(large.extraBuffers)} n x m float32 buffers`);
  }
}

main();

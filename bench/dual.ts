// Benchmark of the dual OT workflow (POT gallery plot_dual_ot_pytorch, workload "dual" of bench/oracle/bench_pot.py):
// gaussrot data, Adam lr=1, 200 steps of −lossDualEntropic (reg 0.5) and −lossDualQuadratic (reg 0.01),
// float64, against POT + torch run by the oracle's bench_pot.py in the same run. Two ways to run it:
// the JS loop (lossDual* + ot.optim.Adam) and ot.stochastic.solveDual* (the whole ascent natively).
// User-style numbers (the headline): each in a fresh process, three full 200-step runs with no warm-up;
// the first (cold) run is printed and the median of the three, cold included, is the figure. Warm
// numbers (after 10 untimed runs, median of the trials) are printed beside them, labelled. Plus
// loss+gradient throughput at n = m = 5000 on 1 thread and on all threads. The machine load is printed.
// Usage: npx tsx bench/dual.ts [--json] [--no-pot] [--trials N]
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as ot from '../lib/index.js';
import { hasFlag, numberArg } from './helpers/cli.js';
import { runOracle } from './helpers/oracle.js';
import { fixed, printJson, printTable, speedup } from './helpers/table.js';
import { measure, median } from './helpers/timing.js';

const STEPS = 200;
const WORKLOADS = [
  { kind: 'entropic', reg: 0.5 },
  { kind: 'quadratic', reg: 0.01 },
] as const;
type Kind = (typeof WORKLOADS)[number]['kind'];
const LOSS = { entropic: ot.stochastic.lossDualEntropic, quadratic: ot.stochastic.lossDualQuadratic };
const SOLVE = { entropic: ot.stochastic.solveDualEntropic, quadratic: ot.stochastic.solveDualQuadratic };
type Method = 'loop' | 'solve';

/**
 * torch.manual_seed(seed) followed by torch.randn(count) for each count, float64 (torch's CPU
 * normal_fill: 53-bit uniforms from MT19937, Box–Muller over blocks of 16, the tail block redrawn),
 * so the benchmark starts from the very potentials bench_pot.py uses and final losses compare.
 */
function torchRandn(seed: number, counts: number[]): Float64Array[] {
  const rs = new ot.datasets.RandomState(seed); // the same MT19937 and seeding as at::mt19937
  const uniform = (): number => {
    const hi = rs.nextUint32();
    const lo = rs.nextUint32();
    return ((hi & 0x1fffff) * 4294967296 + lo) / 9007199254740992;
  };
  const fill16 = (d: Float64Array, o: number): void => {
    for (let j = 0; j < 8; j++) {
      const u1 = 1 - d[o + j]!;
      const u2 = d[o + j + 8]!;
      const radius = Math.sqrt(-2 * Math.log(u1));
      const theta = 2.0 * Math.PI * u2;
      d[o + j] = radius * Math.cos(theta);
      d[o + j + 8] = radius * Math.sin(theta);
    }
  };
  return counts.map((n) => {
    if (n < 16) throw new Error('torchRandn: sizes below 16 use another torch path');
    const d = new Float64Array(n);
    for (let i = 0; i < n; i++) d[i] = uniform();
    for (let i = 0; i + 16 <= n; i += 16) fill16(d, i);
    if (n % 16 !== 0) {
      for (let i = n - 16; i < n; i++) d[i] = uniform();
      fill16(d, n - 16);
    }
    return d;
  });
}

/** The example's data: gaussrot source, rotated target with class 2 scaled ×3, shifted by +4. */
function data(): { xs: ot.Tensor; xt: ot.Tensor } {
  const { X: xs } = ot.datasets.makeDataClassif('gaussrot', 100, { nz: 0.1, seed: 0 });
  const target = ot.datasets.makeDataClassif('gaussrot', 100, { theta: (2 * Math.PI) / 20, nz: 0.1, seed: 1 });
  const xt = target.X.clone().detach();
  for (let i = 0; i < 100; i++) {
    const s = target.y[i] === 2 ? 3 : 1;
    xt.data[2 * i] = xt.data[2 * i]! * s + 4;
    xt.data[2 * i + 1] = xt.data[2 * i + 1]! * s + 4;
  }
  return { xs, xt };
}

/** 200 Adam steps from torch's seed-1 potentials; returns the last loss, as bench_pot.py does. */
function optimise(kind: Kind, reg: number, xs: ot.Tensor, xt: ot.Tensor): number {
  const [u0, v0] = torchRandn(1, [100, 100]);
  const u = ot.tensor(u0!, { requiresGrad: true });
  const v = ot.tensor(v0!, { requiresGrad: true });
  const opt = new ot.optim.Adam([u, v], { lr: 1 });
  const lossFn = LOSS[kind];
  let last = NaN;
  for (let i = 0; i < STEPS; i++) {
    const loss = lossFn(u, v, xs, xt, { reg }).neg();
    last = loss.item();
    loss.backward();
    opt.step();
    opt.zeroGrad();
  }
  return last;
}

/** The same ascent in one native call; returns the last step's loss (−objective), as optimise does. */
function solveNative(kind: Kind, reg: number, xs: ot.Tensor, xt: ot.Tensor): number {
  const [u0, v0] = torchRandn(1, [100, 100]);
  const r = SOLVE[kind](xs, xt, { reg, lr: 1, steps: STEPS, u0: ot.tensor(u0!), v0: ot.tensor(v0!) });
  return -r.history[STEPS - 1]!;
}

const RUN = { loop: optimise, solve: solveNative };

interface UserStyle {
  /** The first run in a fresh process, ms. */
  coldMs: number;
  /** Median of the three runs, the cold one included, ms (the headline). */
  ms: number;
  runsMs: number[];
  /** CPU time of the three runs over all of the process's threads, ms (less sensitive to other load). */
  cpuMs: number[];
  finalLoss: number;
}

/** Child mode: three full runs in this fresh process, no warm-up. */
function userRuns(kind: Kind, method: Method): UserStyle {
  const { xs, xt } = data();
  const reg = WORKLOADS.find((w) => w.kind === kind)!.reg;
  const runsMs: number[] = [];
  const cpuMs: number[] = [];
  let finalLoss = NaN;
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    finalLoss = RUN[method](kind, reg, xs, xt);
    runsMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1e3);
  }
  return { coldMs: runsMs[0]!, ms: median(runsMs), runsMs, cpuMs, finalLoss };
}

/** Runs userRuns in a fresh child process (so the first run is really the first). */
function userStyle(kind: Kind, method: Method): UserStyle {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--user-only', kind, method], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`user-style child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as UserStyle;
}

interface WorkloadRow {
  kind: Kind;
  reg: number;
  loop: UserStyle;
  solve: UserStyle;
  /** Warm: after 10 untimed runs, median of the trials, ms. */
  loopWarmMs: number;
  solveWarmMs: number;
  potMs?: number;
  potFinalLoss?: number;
}

function benchWorkloads(trials: number): WorkloadRow[] {
  const { xs, xt } = data();
  return WORKLOADS.map(({ kind, reg }) => {
    const loop = userStyle(kind, 'loop');
    const solve = userStyle(kind, 'solve');
    // Warm figures: ten untimed runs first (V8 needs about that many 200-step runs before the step code is optimised).
    const loopWarmMs = measure(() => void optimise(kind, reg, xs, xt), { trials, warmup: 10 }).ms;
    const solveWarmMs = measure(() => void solveNative(kind, reg, xs, xt), { trials, warmup: 10 }).ms;
    return { kind, reg, loop, solve, loopWarmMs, solveWarmMs };
  });
}

interface ThroughputRow {
  kind: Kind;
  grads: string;
  threads: number;
  seconds: number;
  pairsPerSecond: number;
}

/** Loss + gradient at n = m = 5000, d = 2 (this process's thread count, OT_NUM_THREADS). */
function benchThroughput(trials: number): ThroughputRow[] {
  const n = 5000;
  const xs = ot.rand([n, 2], { seed: 1 });
  const xt = ot.rand([n, 2], { seed: 2 }).add(0.5);
  const rows: ThroughputRow[] = [];
  for (const { kind, reg } of WORKLOADS) {
    for (const withX of [false, true]) {
      const u = ot.randn([n], { seed: 3, requiresGrad: true });
      const v = ot.randn([n], { seed: 4, requiresGrad: true });
      const xsg = withX ? xs.clone().detach().requiresGrad_(true) : xs;
      const xtg = withX ? xt.clone().detach().requiresGrad_(true) : xt;
      const s = measure(() => LOSS[kind](u, v, xsg, xtg, { reg }).backward(), { trials }).ms / 1e3;
      rows.push({ kind, grads: withX ? 'u,v,xs,xt' : 'u,v', threads: ot.backend().threads, seconds: s, pairsPerSecond: (n * n) / s });
    }
  }
  return rows;
}

/** Runs the throughput part in a child with OT_NUM_THREADS set (the team size is fixed per process). */
function throughputWith(threads: number, trials: number): ThroughputRow[] {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--throughput-only', '--trials', String(trials)], {
    env: { ...process.env, OT_NUM_THREADS: String(threads) },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`throughput child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ThroughputRow[];
}

function benchPot(rows: WorkloadRow[]): string | null {
  const run = runOracle(['dual']);
  if (run.note !== null) return run.note;
  const pot = (run.result as { dual: Record<string, number> }).dual;
  for (const row of rows) {
    const s = pot[row.kind];
    row.potMs = s === undefined ? undefined : s * 1e3;
    row.potFinalLoss = pot[`${row.kind}_final_loss`];
  }
  return null;
}

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

function main(): void {
  const trials = numberArg('--trials', 3);
  if (hasFlag('--throughput-only')) {
    printJson(benchThroughput(trials));
    return;
  }
  const userAt = process.argv.indexOf('--user-only');
  if (userAt >= 0) {
    printJson(userRuns(process.argv[userAt + 1] as Kind, process.argv[userAt + 2] as Method));
    return;
  }
  const loadBefore = load();
  const workloads = benchWorkloads(trials);
  const potNote = hasFlag('--no-pot') ? 'skipped (--no-pot)' : benchPot(workloads);
  const allThreads = ot.backend().threads;
  const throughput = [...throughputWith(1, trials), ...(allThreads > 1 ? throughputWith(allThreads, trials) : [])];
  const loadAfter = load();
  const result = { steps: STEPS, dtype: 'float64', trials, threads: allThreads, load: { before: loadBefore, after: loadAfter }, workloads, throughput, pot: potNote ?? 'ok' };
  if (hasFlag('--json')) {
    printJson(result);
    return;
  }
  console.log(`dual OT (plot_dual_ot_pytorch): gaussrot 100/100, Adam lr=1, ${STEPS} steps, float64`);
  console.log(`load average (1, 5, 15 min): ${loadBefore} before, ${loadAfter} after`);
  if (potNote) console.log(`POT + torch: ${potNote}`);
  console.log('\nuser-style: fresh process, three full runs, no warm-up; "median" = median of the three (cold included)');
  const rows: string[][] = [];
  for (const w of workloads) {
    for (const [label, u] of [['JS loop (lossDual* + Adam)', w.loop], ['solveDual* (native)', w.solve]] as const) {
      rows.push([w.kind, label, fixed(w.potMs), fixed(u.coldMs), fixed(u.ms), speedup(w.potMs, u.ms), speedup(w.potMs, u.coldMs),
        `${fixed(u.cpuMs[0])} / ${fixed(median(u.cpuMs))}`, u.finalLoss.toPrecision(15)]);
    }
  }
  printTable(
    [{ title: 'loss', align: 'left' }, { title: 'ours', align: 'left' }, { title: 'POT+torch ms' }, { title: 'cold ms' }, { title: 'median ms' },
      { title: 'ratio (median)' }, { title: 'ratio (cold)' }, { title: 'CPU ms cold / median' }, { title: 'final loss' }],
    rows,
  );
  console.log('\nwarm: 10 untimed runs first, then the median of the trials (not the headline)');
  printTable(
    [{ title: 'loss', align: 'left' }, { title: 'POT+torch ms' }, { title: 'JS loop ms' }, { title: 'ratio' }, { title: 'solveDual ms' }, { title: 'ratio' },
      { title: 'final loss (torch)' }],
    workloads.map((w) => [w.kind, fixed(w.potMs), fixed(w.loopWarmMs), speedup(w.potMs, w.loopWarmMs), fixed(w.solveWarmMs), speedup(w.potMs, w.solveWarmMs),
      w.potFinalLoss === undefined ? '—' : w.potFinalLoss.toPrecision(15)]),
  );
  const ms = (s: number | undefined): string => fixed(s === undefined ? s : s * 1e3);
  console.log('\nloss + gradient, n = m = 5000, d = 2, float64 (pairs per second)');
  printTable(
    [{ title: 'loss', align: 'left' }, { title: 'grads', align: 'left' }, { title: 'threads' }, { title: 'ms' }, { title: 'Mpairs/s' }],
    throughput.map((t) => [t.kind, t.grads, String(t.threads), ms(t.seconds), (t.pairsPerSecond / 1e6).toFixed(1)]),
  );
}

main();

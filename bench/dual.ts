// Benchmark of the dual OT workflow (POT gallery plot_dual_ot_pytorch, see shared/oracle README "dual"):
// gaussrot data, Adam lr=1, 200 steps of −lossDualEntropic (reg 0.5) and −lossDualQuadratic (reg 0.01),
// float64, median of 3 after a warm-up, against POT + torch run by the oracle's bench_pot.py; plus
// loss+gradient throughput at n = m = 5000 on 1 thread and on all threads.
// Usage: npx tsx bench/dual.ts [--json] [--no-pot] [--trials N]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ot from '../lib/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const STEPS = 200;
const WORKLOADS = [
  { kind: 'entropic', reg: 0.5 },
  { kind: 'quadratic', reg: 0.01 },
] as const;
type Kind = (typeof WORKLOADS)[number]['kind'];
const LOSS = { entropic: ot.stochastic.lossDualEntropic, quadratic: ot.stochastic.lossDualQuadratic };

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

function seconds(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

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

interface WorkloadRow {
  kind: Kind;
  reg: number;
  /** Median over the trials (the headline, as bench_pot.py reports). */
  seconds: number;
  /** Fastest trial: on a shared machine the least disturbed one. */
  minSeconds: number;
  finalLoss: number;
  potSeconds?: number;
  potFinalLoss?: number;
  ratio?: number;
}

function benchWorkloads(trials: number): WorkloadRow[] {
  const { xs, xt } = data();
  return WORKLOADS.map(({ kind, reg }) => {
    // A few warm-up runs: one 200-step run is too short for V8 to finish optimising the step's code.
    let finalLoss = NaN;
    for (let w = 0; w < 3; w++) finalLoss = optimise(kind, reg, xs, xt);
    const ts: number[] = [];
    for (let t = 0; t < trials; t++) ts.push(seconds(() => void (finalLoss = optimise(kind, reg, xs, xt))));
    return { kind, reg, seconds: median(ts), minSeconds: Math.min(...ts), finalLoss };
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
      const run = (): void => LOSS[kind](u, v, xsg, xtg, { reg }).backward();
      run();
      const ts: number[] = [];
      for (let t = 0; t < trials; t++) ts.push(seconds(run));
      const s = median(ts);
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

function oracle(): { python: string; path: string; script: string } | null {
  let path = process.env.OT_ORACLE;
  if (!path && existsSync('/tmp/oracle.path')) path = readFileSync('/tmp/oracle.path', 'utf8').trim();
  if (!path || !existsSync(path)) return null;
  const candidates = [process.env.OT_ORACLE_BENCH, join(here, '..', '..', 'shared', 'oracle', 'bench_pot.py'), join(here, '..', 'shared', 'oracle', 'bench_pot.py')];
  const script = candidates.find((p): p is string => !!p && existsSync(p));
  return script ? { python: '/usr/bin/python3', path, script } : null;
}

function benchPot(rows: WorkloadRow[]): string | null {
  const o = oracle();
  if (!o) return 'no POT oracle found (set OT_ORACLE, or run ../shared/oracle/setup.sh)';
  const r = spawnSync(o.python, [o.script, 'dual'], { env: { ...process.env, PYTHONPATH: o.path }, encoding: 'utf8' });
  if (r.status !== 0) return `POT run failed: ${r.stderr.trim().split('\n').pop()}`;
  const pot = (JSON.parse(r.stdout) as { dual: Record<string, number> }).dual;
  for (const row of rows) {
    row.potSeconds = pot[row.kind];
    row.potFinalLoss = pot[`${row.kind}_final_loss`];
    if (row.potSeconds !== undefined) row.ratio = row.potSeconds / row.seconds;
  }
  return null;
}

function main(): void {
  const trials = Number(argValue('--trials') ?? 3);
  if (process.argv.includes('--throughput-only')) {
    console.log(JSON.stringify(benchThroughput(trials)));
    return;
  }
  const workloads = benchWorkloads(trials);
  const potNote = process.argv.includes('--no-pot') ? 'skipped (--no-pot)' : benchPot(workloads);
  const allThreads = ot.backend().threads;
  const throughput = [...throughputWith(1, trials), ...(allThreads > 1 ? throughputWith(allThreads, trials) : [])];
  const result = { steps: STEPS, dtype: 'float64', trials, threads: allThreads, workloads, throughput, pot: potNote ?? 'ok' };
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const ms = (s: number | undefined): string => (s === undefined ? '—' : (s * 1e3).toFixed(2));
  console.log(`dual OT (plot_dual_ot_pytorch): gaussrot 100/100, Adam lr=1, ${STEPS} steps, float64, median of ${trials}`);
  if (potNote) console.log(`POT + torch: ${potNote}`);
  console.log('loss        reg    ours ms  (min ms)   torch ms   ratio   final loss (ours)   final loss (torch)');
  for (const w of workloads) {
    console.log(
      `${w.kind.padEnd(10)} ${String(w.reg).padEnd(5)} ${ms(w.seconds).padStart(9)} ${`(${ms(w.minSeconds)})`.padStart(9)} ${ms(w.potSeconds).padStart(10)} ` +
        `${(w.ratio === undefined ? '—' : `${w.ratio.toFixed(1)}×`).padStart(7)}   ${w.finalLoss.toPrecision(15).padStart(18)}   ` +
        `${(w.potFinalLoss === undefined ? '—' : w.potFinalLoss.toPrecision(15)).padStart(18)}`,
    );
  }
  console.log('\nloss + gradient, n = m = 5000, d = 2, float64 (pairs per second)');
  console.log('loss        grads       threads   ms        Mpairs/s');
  for (const t of throughput) {
    console.log(`${t.kind.padEnd(10)} ${t.grads.padEnd(11)} ${String(t.threads).padStart(7)} ${ms(t.seconds).padStart(8)} ${(t.pairsPerSecond / 1e6).toFixed(1).padStart(12)}`);
  }
}

main();

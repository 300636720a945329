// Benchmark of batch jobs: ot.jobs.pairwise on 50 clouds x 200 points in 3-D (1225 pairs, reg 0.05,
// float32) against a user's Promise.all(ot.solveAsync) over the same pairs and POT + torch's batch
// solver (bench/oracle/jobs_pot.py) in the same run; then a 10,000-pair job (100 x 100 clouds) run by the
// CLI locally and by `submit` with 2 local workers over a throwaway redis-server: the overhead.
// Usage: npx tsx bench/jobs.ts [--json] [--no-pot] [--no-redis] [--no-pairwise] [--trials N]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ot from '../lib/index.js';
import { encodeNpy } from '../lib/cli/npy.js';
import { hasFlag, numberArg } from './helpers/cli.js';
import { runPot } from './helpers/oracle.js';
import { fixed, printJson, printTable } from './helpers/table.js';
import { median } from './helpers/timing.js';
import { runCli, startCli, waitFor } from '../test/helpers/cli.js';
import { redisServerInstalled, startRedisServer } from '../test/helpers/redis-server.js';

const K = 50;
const N = 200;
const REG = 0.05;
const TARGET_S = 0.5;
const OVERHEAD_TARGET = 0.2;
const trials = numberArg('--trials', 5);
const dir = mkdtempSync(join(tmpdir(), 'ot-bench-jobs-'));

function clouds(count: number, seed: number): ot.Tensor[] {
  return Array.from({ length: count }, (_, k) => ot.rand([N, 3], { seed: seed + k, dtype: 'float32' }));
}

/** Cold first run, one warm-up, then the median of `runs` (seconds), wall and CPU time of all threads. */
async function timeAsync(runs: number, fn: () => Promise<unknown>): Promise<{ first: number; median: number; cpu: number }> {
  let t0 = performance.now();
  await fn();
  const first = (performance.now() - t0) / 1000;
  await fn();
  const xs: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    t0 = performance.now();
    await fn();
    xs.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { first, median: median(xs), cpu: median(cpu) };
}

async function pairwiseBench() {
  const xs = clouds(K, 0);
  const measures = xs.map((x) => ({ x }));
  console.error('pairwise: ot.jobs.pairwise');
  const ours = await timeAsync(trials, () => ot.jobs.pairwise(measures, { reg: REG }));
  const pairs: [number, number][] = [];
  for (let i = 0; i < K; i++) for (let j = i; j < K; j++) pairs.push([i, j]);
  console.error('pairwise: Promise.all(solveAsync)');
  // What a user writes first: one solveAsync per pair, all at once (ot.solve's defaults, tol 1e-9).
  const baseline = await timeAsync(Math.min(trials, 3), () => Promise.all(pairs.map(([i, j]) => ot.solveAsync(ot.dist(xs[i]!, xs[j]!), { reg: REG }))));
  const sameTol = await timeAsync(Math.min(trials, 3), () => Promise.all(pairs.map(([i, j]) => ot.solveAsync(ot.dist(xs[i]!, xs[j]!), { reg: REG, tol: 1e-6 }))));
  let pot: { first: number; median: number; threads: number } | null = null;
  let potNote: string | null = null;
  if (!hasFlag('--no-pot')) {
    const file = join(dir, 'clouds.npy');
    const flat = new Float64Array(K * N * 3);
    xs.forEach((x, k) => flat.set(x.data, k * N * 3));
    writeFileSync(file, encodeNpy([K, N, 3], flat));
    console.error('pairwise: POT');
    const r = runPot([join('bench', 'oracle', 'jobs_pot.py'), file, '64']);
    pot = r.result as typeof pot;
    potNote = r.note;
  }
  return { ours, baseline, sameTol, pot, potNote };
}

function writeNpy32(file: string, xs: ot.Tensor[]): void {
  const flat = new Float64Array(xs.length * N * 3);
  xs.forEach((x, k) => flat.set(x.data, k * N * 3));
  // float32 input (the job's dtype): the float64 header of encodeNpy rewritten as '<f4' data.
  const f32 = Float32Array.from(flat);
  const header = encodeNpy([xs.length, N, 3], new Float64Array(0)).toString('latin1').replace("'<f8'", "'<f4'");
  writeFileSync(file, Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from(f32.buffer)]));
}

async function wall(fn: () => Promise<{ code: number | null; stderr: string }>): Promise<number> {
  const t0 = performance.now();
  const r = await fn();
  if (r.code !== 0) throw new Error(`run failed (${r.code}): ${r.stderr.slice(-500)}`);
  return (performance.now() - t0) / 1000;
}

async function redisBench() {
  if (hasFlag('--no-redis')) return { note: '--no-redis' };
  if (!redisServerInstalled()) return { note: 'redis-server not on PATH (apt-get install -y redis-server)' };
  const a = join(dir, 'a.npy');
  const b = join(dir, 'b.npy');
  writeNpy32(a, clouds(100, 1000));
  writeNpy32(b, clouds(100, 2000));
  const server = await startRedisServer();
  // Two workers on this machine's cores: one thread each, so together they use what the local run uses.
  const workers = [0, 1].map(() => startCli(['worker', '--redis', server.url], { OT_NUM_THREADS: '1' }));
  let logs = ['', ''];
  workers.forEach((w, k) => w.child.stdout!.on('data', (x: Buffer) => (logs[k] += x.toString())));
  try {
    await waitFor(() => logs.every((l) => l.includes('"ready"')), 'workers ready');
    const args = (out: string) => ['pairwise', a, '--with', b, '--out', out, '--reg', String(REG)];
    const local: number[] = [];
    const dist: number[] = [];
    for (let r = 0; r < 2; r++) {
      console.error(`redis: run ${r + 1} of 2`);
      local.push(await wall(() => runCli(args(join(dir, 'local.npy')))));
      dist.push(await wall(() => runCli(['submit', ...args(join(dir, 'dist.npy')), '--redis', server.url])));
      logs = ['', ''];
    }
    const same = readFileSync(join(dir, 'local.npy')).equals(readFileSync(join(dir, 'dist.npy')));
    const localS = median(local);
    const distS = median(dist);
    return { local, dist, localS, distS, overhead: distS / localS - 1, same, note: null };
  } finally {
    workers.forEach((w) => w.child.kill('SIGTERM'));
    await Promise.all(workers.map((w) => w.done));
    await server.stop();
  }
}

type PairwiseRun = Awaited<ReturnType<typeof pairwiseBench>>;

function printPairwise(p: PairwiseRun, load: string): void {
  console.log(`pairwise: ${K} clouds x ${N} points, 3-D, ${(K * (K + 1)) / 2} pairs (diagonal included), reg ${REG}, float32 (load ${load}; median of ${trials} after a warm-up)`);
  const ratio = (s: number | undefined) => (s ? `${(s / p.ours.median).toFixed(1)}x` : '—');
  printTable([{ title: 'run', align: 'left' }, { title: 'median s' }, { title: 'first s' }, { title: 'CPU s' }, { title: 'ours faster' }], [
    ['ot.jobs.pairwise (tol 1e-6)', fixed(p.ours.median, 3), fixed(p.ours.first, 3), fixed(p.ours.cpu, 3), ''],
    ['Promise.all(solveAsync), tol 1e-9', fixed(p.baseline.median, 3), fixed(p.baseline.first, 3), fixed(p.baseline.cpu, 3), ratio(p.baseline.median)],
    ['Promise.all(solveAsync), tol 1e-6', fixed(p.sameTol.median, 3), fixed(p.sameTol.first, 3), fixed(p.sameTol.cpu, 3), ratio(p.sameTol.median)],
    [`POT+torch solve_batch (${p.pot ? `${p.pot.threads} thr` : p.potNote})`, fixed(p.pot?.median, 3), fixed(p.pot?.first, 3), '', ratio(p.pot?.median)],
  ]);
  console.log(`target: <= ${TARGET_S} s -> ${p.ours.median <= TARGET_S ? 'met' : 'NOT met'}`);
}

const load = loadavg()[0]!.toFixed(2);
const p = hasFlag('--no-pairwise') ? null : await pairwiseBench();
const r = await redisBench();
rmSync(dir, { recursive: true, force: true });
if (hasFlag('--json')) {
  printJson({ load, pairwise: p, redis: r });
} else {
  if (p) printPairwise(p, load);
  if ('overhead' in r) {
    console.log(`\n10,000 pairs (100 x 100 clouds of ${N} points), CLI wall time (load ${loadavg()[0]!.toFixed(2)} after), runs ${r.local!.map((s) => s.toFixed(2)).join(', ')} (local) and ${r.dist!.map((s) => s.toFixed(2)).join(', ')} (2 workers over Redis)`);
    console.log(`local ${fixed(r.localS, 2)} s, over Redis ${fixed(r.distS, 2)} s: overhead ${(100 * r.overhead!).toFixed(1)}% (target <= ${100 * OVERHEAD_TARGET}%), outputs identical: ${r.same}`);
  } else {
    console.log(`\nRedis part skipped: ${r.note}`);
  }
}

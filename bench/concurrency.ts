// Benchmark of many small problems at once, the way a server or a notebook runs them:
//   solves:  400 entropic solves of 150x150 (reg 0.05): a sync loop vs Promise.all(ot.solveAsync)
//   pairs:   all 1225 pairs of 50 clouds of 200 points in 2-d, ot.dist + ot.solve (reg 0.05) per pair:
//            a sync loop, Promise.all of the async forms, and hand-made pools of k async chains
// Each timed the user's way (one warm-up call, then the median of N runs of the whole workload; the
// first, cold run printed too), on a quiet machine and again with one busy process beside it (--no-load
// skips that). The async forms share the native thread cap (OT_NUM_THREADS, default all cores).
// Usage: npx tsx bench/concurrency.ts [--json] [--trials N] [--no-load]
import { spawn } from 'node:child_process';
import * as ot from '../lib/index.js';
import { hasFlag, numberArg } from './helpers/cli.js';
import { fixed, printJson, printTable } from './helpers/table.js';
import { measure, measureAsync, type Timing } from './helpers/timing.js';

const REG = 0.05;
const SOLVES = 400;
const SOLVE_N = 150;
const CLOUDS = 50;
const CLOUD_N = 200;
const POOLS = [2, 3, 4];

function solvesInputs(): ot.Tensor[] {
  return Array.from({ length: SOLVES }, (_, k) =>
    ot.dist(ot.rand([SOLVE_N, 2], { seed: 2 * k }), ot.rand([SOLVE_N, 2], { seed: 2 * k + 1 })));
}

function pairList(): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < CLOUDS; i++) for (let j = i + 1; j < CLOUDS; j++) out.push([i, j]);
  return out;
}

// One pair's work in its async form: the cost matrix, then the solve's value.
async function pairAsync(X: ot.Tensor[], [i, j]: [number, number]): Promise<number> {
  const M = await ot.distAsync(X[i]!, X[j]!);
  return (await ot.solveAsync(M, { reg: REG })).value.item();
}

// A hand-made pool: `k` chains, each taking the next pair when its previous one is done.
async function pool(X: ot.Tensor[], pairs: [number, number][], k: number): Promise<void> {
  let next = 0;
  const chain = async (): Promise<void> => {
    for (let p = next++; p < pairs.length; p = next++) await pairAsync(X, pairs[p]!);
  };
  await Promise.all(Array.from({ length: k }, chain));
}

interface Row {
  workload: string;
  form: string;
  load: 'quiet' | 'busy';
  ms: number;
  coldMs: number;
  cpuMs: number;
  /** Sync loop's time over this form's (the speed-up of going async). */
  vsSync: number;
}

async function runAll(trials: number, load: 'quiet' | 'busy'): Promise<Row[]> {
  const rows: Row[] = [];
  const Ms = solvesInputs();
  const opts = { trials };
  const add = (workload: string, form: string, t: Timing, sync: Timing): void =>
    void rows.push({ workload, form, load, ms: t.ms, coldMs: t.coldMs, cpuMs: t.cpuMs, vsSync: sync.ms / t.ms });

  const solvesSync = measure(() => { for (const M of Ms) ot.solve(M, { reg: REG }); }, opts);
  add('400 solves 150x150', 'sync loop', solvesSync, solvesSync);
  add('400 solves 150x150', 'Promise.all(solveAsync)', await measureAsync(() => Promise.all(Ms.map((M) => ot.solveAsync(M, { reg: REG }))), opts), solvesSync);

  const X = Array.from({ length: CLOUDS }, (_, k) => ot.rand([CLOUD_N, 2], { seed: 1000 + k }));
  const pairs = pairList();
  const pairsSync = measure(() => { for (const [i, j] of pairs) ot.solve(ot.dist(X[i]!, X[j]!), { reg: REG }).value.item(); }, opts);
  add('1225 pairs dist+solve', 'sync loop', pairsSync, pairsSync);
  add('1225 pairs dist+solve', 'Promise.all(async)', await measureAsync(() => Promise.all(pairs.map((p) => pairAsync(X, p))), opts), pairsSync);
  for (const k of POOLS) add('1225 pairs dist+solve', `pool of ${k}`, await measureAsync(() => pool(X, pairs, k), opts), pairsSync);
  return rows;
}

// A process that keeps one core busy for the duration of `fn`.
async function withBusyCore<T>(fn: () => Promise<T>): Promise<T> {
  const busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  try {
    return await fn();
  } finally {
    busy.kill();
  }
}

async function main(): Promise<void> {
  const trials = numberArg('--trials', 10);
  const rows = await runAll(trials, 'quiet');
  if (!hasFlag('--no-load')) rows.push(...(await withBusyCore(() => runAll(trials, 'busy'))));
  const threads = ot.backend().threads;
  if (hasFlag('--json')) {
    printJson({ workload: 'concurrency', reg: REG, trials, threads, rows });
    return;
  }
  console.log(`Concurrency: entropic solves (reg ${REG}), ${threads} native threads; user-style: median of ${trials} runs after one warm-up, cold = first run`);
  printTable(
    [{ title: 'workload', align: 'left' }, { title: 'form', align: 'left' }, { title: 'load', align: 'left' }, { title: 'ms' }, { title: 'cold ms' },
      { title: '(cpu ms)' }, { title: 'vs sync loop' }],
    rows.map((r) => [r.workload, r.form, r.load, fixed(r.ms, 1), fixed(r.coldMs, 1), `(${fixed(r.cpuMs, 1)})`, `${r.vsSync.toFixed(2)}×`]),
  );
  for (const load of ['quiet', 'busy'] as const) {
    const p = rows.filter((r) => r.load === load && r.workload.startsWith('1225'));
    if (p.length === 0) continue;
    const all = p.find((r) => r.form.startsWith('Promise.all'))!;
    const best = p.filter((r) => r.form.startsWith('pool')).reduce((x, y) => (y.ms < x.ms ? y : x));
    console.log(`${load}: Promise.all / best pool (${best.form}) = ${(all.ms / best.ms).toFixed(2)}`);
  }
}

void main();

// Benchmark of the 1-D and sliced Wasserstein distances against POT + torch in the same run:
// ot.wasserstein1d on 1e6 + 1e6 points (p = 2) vs ot.wasserstein_1d, and ot.slicedWassersteinDistance
// on n = m = 5000, d = 20, 200 given projections (p = 2) vs ot.sliced_wasserstein_distance; both
// value + backward w.r.t. the samples, float64. bench/native/pot_exact.py writes the inputs (so both
// sides solve the same problems) and times POT: first (cold) run, then the median of the others.
// Usage: npx tsx bench/oned-sliced.ts [--json] [--runs N]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ot from '../lib/index.js';
import { numberArg, hasFlag } from './helpers/cli.js';
import { runPot } from './helpers/oracle.js';
import { fixed, printJson, printTable } from './helpers/table.js';
import { median } from './helpers/timing.js';

const here = dirname(fileURLToPath(import.meta.url));
const N1D = 1_000_000;
const [NS, D, K] = [5000, 20, 200];
// Targets of the exact-OT issue: ours at least this many times faster than POT + torch.
const TARGET = { w1d: 3, sliced: 5 } as const;

interface PotTiming {
  cold_ms: number;
  median_ms: number;
  value: number;
}

interface Row {
  workload: keyof typeof TARGET;
  coldMs: number;
  ms: number;
  value: number;
  pot: (PotTiming & { threads: number }) | null;
}

function readBin(dir: string, name: string): Float64Array {
  const buf = readFileSync(join(dir, `${name}.bin`));
  return new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8).slice();
}

/** The first (cold) call, then the median of `runs` more, each on fresh leaf tensors as POT's clones. */
function timed(runs: number, fn: () => number): { coldMs: number; ms: number; value: number } {
  const times: number[] = [];
  let value = NaN;
  for (let r = 0; r <= runs; r++) {
    const t0 = process.hrtime.bigint();
    value = fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { coldMs: times[0]!, ms: median(times.slice(1)), value };
}

function main(): void {
  const runs = numberArg('--runs', 5);
  const dir = mkdtempSync(join(tmpdir(), 'ot-bench-oned-'));
  try {
    // POT first (it also writes the inputs), torch on 1 thread and on every core; then ours on the same files.
    const script = join(here, 'native', 'pot_exact.py');
    const potRuns = [...new Set([1, cpus().length])].map((t) => ({ threads: t, run: runPot([script, dir, String(runs), 'w1d', 'sliced'], { OMP_NUM_THREADS: String(t) }) }));
    const pot = potRuns[potRuns.length - 1]!.run;
    for (const { run } of potRuns) {
      const err = (run.result as { error?: unknown } | null)?.error;
      if (typeof err === 'string') console.error(`oracle: ${err}`);
    }
    const u = readBin(dir, 'w1d_u'), v = readBin(dir, 'w1d_v');
    const xs = readBin(dir, 'sliced_xs'), xt = readBin(dir, 'sliced_xt'), P = ot.tensor(readBin(dir, 'sliced_P'), { shape: [D, K] });

    const w1d = timed(runs, () => {
      const uu = ot.tensor(u, { requiresGrad: true }), vv = ot.tensor(v, { requiresGrad: true });
      const val = ot.wasserstein1d(uu, vv, { p: 2 });
      val.backward();
      return val.item();
    });
    const sliced = timed(runs, () => {
      const s = ot.tensor(xs, { shape: [NS, D], requiresGrad: true }), t = ot.tensor(xt, { shape: [NS, D], requiresGrad: true });
      const val = ot.slicedWassersteinDistance(s, t, { projections: P, p: 2 });
      val.backward();
      return val.item();
    });
    // POT's best of 1 thread and all threads, per workload (as bench/oracle/bench_pot.py).
    const potOf = (k: string): (PotTiming & { threads: number }) | null => {
      let best: (PotTiming & { threads: number }) | null = null;
      for (const { threads, run } of potRuns) {
        const t = (run.result as Record<string, PotTiming> | null)?.[k];
        if (t && typeof t === 'object' && (best === null || t.median_ms < best.median_ms)) best = { ...t, threads };
      }
      return best;
    };
    const rows: Row[] = [
      { workload: 'w1d', ...w1d, pot: potOf('w1d') },
      { workload: 'sliced', ...sliced, pot: potOf('sliced') },
    ];
    const load = loadavg().map((l) => l.toFixed(2)).join(' ');
    if (hasFlag('--json')) {
      printJson({ runs, load, threads: ot.backend().threads, note: pot.note, rows });
      return;
    }
    console.log(`value + backward, float64, ours on ${ot.backend().threads} threads, POT + torch at its best of 1 and ${cpus().length} threads; cold = first call, then median of ${runs}; load ${load}`);
    printTable(
      [{ title: 'workload', align: 'left' }, { title: 'ours cold' }, { title: 'ours ms' }, { title: 'POT cold' }, { title: 'POT ms' }, { title: 'torch threads' },
        { title: 'speedup' }, { title: 'cold speedup' }, { title: 'target', align: 'left' }, { title: '|value - POT|/POT' }],
      rows.map((r) => [
        r.workload === 'w1d' ? `wasserstein1d ${N1D}+${N1D} p=2` : `sliced ${NS}x${D} k=${K} p=2`,
        fixed(r.coldMs, 1), fixed(r.ms, 1), fixed(r.pot?.cold_ms, 1), fixed(r.pot?.median_ms, 1), r.pot ? String(r.pot.threads) : '—',
        r.pot ? `${(r.pot.median_ms / r.ms).toFixed(1)}×` : '—', r.pot ? `${(r.pot.cold_ms / r.coldMs).toFixed(1)}×` : '—',
        `>= ${TARGET[r.workload]}×`, r.pot ? (Math.abs(r.value - r.pot.value) / Math.abs(r.pot.value)).toExponential(1) : '—',
      ]),
    );
    if (pot.note) console.log(`POT: ${pot.note}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();

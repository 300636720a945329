// Benchmark of exact OT (ot.emd2, ot.batch.solveBatch without reg) against POT's network simplex in the
// same run on the same inputs: emd2 on n = 1000 and 3000 random 2-d points (uniform weights, float64),
// 1024 problems of 32x32 against a POT loop, and ours alone at n = 10000 (dense float64 M, ~800 MB) with
// its peak RSS. One warm-up (the cold run, printed), then the median of the timed runs.
// Usage: npx tsx bench/exact.ts [--json] [--no-pot] [--trials N] [--no-10k]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ot from '../lib/index.js';
import { hasFlag, numberArg } from './helpers/cli.js';
import { runPot } from './helpers/oracle.js';
import { fixed, printJson, printTable, speedup } from './helpers/table.js';
import { median } from './helpers/timing.js';

const SIZES = [1000, 3000];
// Pivots allowed on both sides: enough for n = 10000 (POT's emd2 default of 1e5 stops early from n ~ 2000).
const MAX_ITER = 10_000_000;
const B = 1024;
const TARGET = { emd: 1.5, batch: 5 };

interface Timed {
  coldMs: number;
  ms: number;
  /** Median CPU time of all threads: on a loaded machine less disturbed than wall time. */
  cpuMs: number;
  value: number;
}

/** The first run (cold, also the warm-up), then the median of `trials` runs. */
function timed(trials: number, fn: () => number): Timed {
  const once = (): [number, number, number] => {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const v = fn();
    const c = process.cpuUsage(c0);
    return [Number(process.hrtime.bigint() - t0) / 1e6, (c.user + c.system) / 1e3, v];
  };
  const [coldMs, , value] = once();
  const runs = Array.from({ length: trials }, () => once());
  return { coldMs, ms: median(runs.map((r) => r[0])), cpuMs: median(runs.map((r) => r[1])), value };
}

function points(n: number, seed: number): ot.Tensor {
  return ot.rand([n, 2], { seed, dtype: 'float64' });
}

function main(): void {
  const trials = numberArg('--trials', 3);
  const dir = mkdtempSync(join(tmpdir(), 'ot-exact-bench-'));
  const loadBefore = loadavg()[0]!;
  const rows: { workload: string; ours: Timed; pot: Timed | null; target: number }[] = [];
  try {
    const inputs = SIZES.map((n, k) => {
      const x = points(n, 10 + 2 * k);
      const y = points(n, 11 + 2 * k);
      writeFileSync(join(dir, `x${n}.bin`), x.data);
      writeFileSync(join(dir, `y${n}.bin`), y.data);
      return { n, M: ot.dist(x, y) };
    });
    const Mb = ot.batch.distBatch(ot.rand([B, 32, 2], { seed: 1 }), ot.rand([B, 32, 2], { seed: 2 }));
    writeFileSync(join(dir, 'batchM.bin'), Mb.data);

    for (const { n, M } of inputs) {
      rows.push({ workload: `emd2 n=${n}`, ours: timed(trials, () => ot.emd2(null, null, M, { maxIter: MAX_ITER }).item()), pot: null, target: TARGET.emd });
    }
    const ours = timed(trials + 2, () => ot.batch.solveBatch(Mb, { grad: 'detach' }).value.sum().item());
    rows.push({ workload: `batch ${B}x32x32`, ours, pot: null, target: TARGET.batch });

    if (!hasFlag('--no-pot')) {
      const script = join(dirname(fileURLToPath(import.meta.url)), 'oracle', 'exact_pot.py');
      const { result } = runPot([script, dir, String(trials), String(MAX_ITER), ...SIZES.map(String)]);
      const pot = result as Record<string, { cold_ms: number; median_ms: number; cpu_ms: number; value: number }> | null;
      if (pot) {
        SIZES.forEach((n, k) => {
          const p = pot[`emd${n}`];
          if (p) rows[k]!.pot = { coldMs: p.cold_ms, ms: p.median_ms, cpuMs: p.cpu_ms, value: p.value };
        });
        const p = pot.batch;
        if (p) rows[SIZES.length]!.pot = { coldMs: p.cold_ms, ms: p.median_ms, cpuMs: p.cpu_ms, value: p.value };
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // n = 10000: ours only (POT takes minutes), one cold run of emd2 (M needs no gradient, so no n x m plan
  // is made: M's 800 MB is the bulk of the peak); RSS before the solve shows what M itself costs.
  let big: { ms: number; value: number; peakRssMB: number; rssBeforeMB: number } | null = null;
  if (!hasFlag('--no-10k')) {
    const n = 10000;
    const M = ot.dist(points(n, 30), points(n, 31));
    const rssBeforeMB = process.memoryUsage.rss() / 2 ** 20;
    const t0 = process.hrtime.bigint();
    const value = ot.emd2(null, null, M, { maxIter: MAX_ITER }).item();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    big = { ms, value, rssBeforeMB, peakRssMB: process.resourceUsage().maxRSS / 1024 };
  }
  const loadAfter = loadavg()[0]!;

  if (hasFlag('--json')) {
    printJson({ rows, big, load: [loadBefore, loadAfter], maxIter: MAX_ITER });
    return;
  }
  console.log(`exact OT, float64, maxIter ${MAX_ITER} on both sides; load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after`);
  printTable(
    [{ title: 'workload', align: 'left' }, { title: 'ours cold ms' }, { title: 'ours ms' }, { title: 'POT cold ms' }, { title: 'POT ms' },
      { title: 'ratio' }, { title: 'target' }, { title: 'CPU ms ours / POT' }, { title: 'value (ours / POT)', align: 'left' }],
    rows.map((r) => [r.workload, fixed(r.ours.coldMs, 1), fixed(r.ours.ms, 1), fixed(r.pot?.coldMs, 1), fixed(r.pot?.ms, 1),
      speedup(r.pot?.ms, r.ours.ms), `${r.target}×`, `${fixed(r.ours.cpuMs, 0)} / ${fixed(r.pot?.cpuMs, 0)}`,
      `${r.ours.value.toPrecision(12)} / ${r.pot ? r.pot.value.toPrecision(12) : '—'}`]),
  );
  if (big) {
    console.log(`emd2 n=10000 (dense float64 M, ours only): ${(big.ms / 1e3).toFixed(2)} s, value ${big.value.toPrecision(10)}, ` +
      `RSS ${big.rssBeforeMB.toFixed(0)} MB with M made, peak ${big.peakRssMB.toFixed(0)} MB`);
  }
}

main();

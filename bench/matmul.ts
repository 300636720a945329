// Matrix product: Tensor.matmul at 1024 x 1024 in float32 and float64 against torch.matmul in the same
// run (torch at its best of 1 and all threads), as GFLOP/s (2 n^3 flops), user-style: one warm-up call,
// then the median of the runs; the warm-up's time is printed as the cold run.
// Usage: npx tsx bench/matmul.ts [--json] [--no-torch] [--trials N] [--n N]
import { loadavg } from 'node:os';
import * as ot from '../lib/index.js';
import { hasFlag, numberArg } from './helpers/cli.js';
import { runPot } from './helpers/oracle.js';
import { measure } from './helpers/timing.js';

const n = numberArg('--n', 1024);
const trials = numberArg('--trials', 3);
const flops = 2 * n ** 3;
const rows: { dtype: string; oursMs: number; coldMs: number; torchMs: number | null }[] = [];
const torchCode = `
import json, time, torch
n, trials = ${n}, ${trials}
out = {}
for name, dt in (('float32', torch.float32), ('float64', torch.float64)):
    a = torch.rand(n, n, dtype=dt); b = torch.rand(n, n, dtype=dt)
    best = None
    for threads in (1, torch.get_num_threads()):
        torch.set_num_threads(threads)
        torch.matmul(a, b)
        ts = []
        for _ in range(trials):
            t0 = time.perf_counter(); torch.matmul(a, b); ts.append((time.perf_counter() - t0) * 1e3)
        ts.sort(); med = ts[len(ts) // 2]
        best = med if best is None else min(best, med)
    out[name] = best
print(json.dumps(out))
`;
const torch = hasFlag('--no-torch') ? null : (runPot(['-c', torchCode]).result as Record<string, number> | null);
const loadBefore = loadavg()[0]!;
for (const dtype of ['float32', 'float64'] as const) {
  const a = ot.rand([n, n], { seed: 1, dtype });
  const b = ot.rand([n, n], { seed: 2, dtype });
  const t = measure(() => void a.matmul(b), { trials });
  rows.push({ dtype, oursMs: t.ms, coldMs: t.coldMs, torchMs: torch?.[dtype] ?? null });
}
const gflops = (ms: number) => flops / (ms * 1e6);
if (hasFlag('--json')) {
  console.log(JSON.stringify({ n, trials, load: [loadBefore, loadavg()[0]], rows }));
} else {
  console.log(`matmul ${n} x ${n}, median of ${trials} after one warm-up; load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`);
  console.log('dtype     ours ms  (cold)  ours GFLOP/s  torch ms  torch GFLOP/s  ours / torch');
  for (const r of rows) {
    const tg = r.torchMs === null ? '—' : gflops(r.torchMs).toFixed(1);
    console.log(`${r.dtype.padEnd(8)} ${r.oursMs.toFixed(0).padStart(8)} ${r.coldMs.toFixed(0).padStart(7)} ${gflops(r.oursMs).toFixed(2).padStart(13)} ${(r.torchMs?.toFixed(1) ?? '—').padStart(9)} ${tg.padStart(14)} ${r.torchMs === null ? '—' : (r.torchMs / r.oursMs).toFixed(3).padStart(12)}`);
  }
}

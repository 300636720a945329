// Benchmark of ot.dist (POT: ot.dist): forward and backward, n = m = 2000, d = 5 and 64, float32,
// median of 10 after a warm-up. With --pot, POT + torch (CPU) time the same calls in one run.
// Usage: npx tsx bench/dist.ts [--json] [--pot] [--trials N] [--metrics sqeuclidean,euclidean]
import * as ot from '../lib/index.js';
import { argValue, hasFlag, numberArg } from './helpers/cli.js';
import { runPot } from './helpers/oracle.js';
import { fixed, printJson, printTable, speedup } from './helpers/table.js';
import { timeMs } from './helpers/timing.js';

const N = 2000;
const DIMS = [5, 64];

interface Row {
  metric: ot.DistMetric;
  p?: number;
  d: number;
  forwardMs: number;
  backwardMs: number;
  potForwardMs?: number | null;
  potBackwardMs?: number | null;
}

function benchOurs(metric: ot.DistMetric, p: number | undefined, d: number, trials: number): Row {
  const opts = p === undefined ? { metric } : { metric, p };
  const x = ot.rand([N, d], { seed: 1, dtype: 'float32' });
  const y = ot.rand([N, d], { seed: 2, dtype: 'float32' });
  const forwardMs = timeMs(trials, () => void ot.dist(x, y, opts));
  const xg = ot.rand([N, d], { seed: 1, dtype: 'float32', requiresGrad: true });
  const yg = ot.rand([N, d], { seed: 2, dtype: 'float32', requiresGrad: true });
  const M = ot.dist(xg, yg, opts);
  const G = ot.rand([N, N], { seed: 3, dtype: 'float32' });
  const backwardMs = timeMs(trials, () => {
    xg.grad = null;
    yg.grad = null;
    M.backward(G);
  });
  return { metric, p, d, forwardMs, backwardMs };
}

// The same calls in POT + torch, float32; chebyshev has no torch path in POT (scipy only).
const POT_SCRIPT = `
import json, statistics, sys, time, torch, ot
torch.set_num_threads(max(1, torch.get_num_threads(), __import__('os').cpu_count() or 1))
cfg = json.loads(sys.argv[1]); out = []
def med(fn, trials):
    fn(); ts = []
    for _ in range(trials):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e3
for c in cfg["rows"]:
    if c["metric"] == "chebyshev":
        out.append(None); continue
    torch.manual_seed(0)
    x = torch.rand((cfg["n"], c["d"])); y = torch.rand((cfg["n"], c["d"]))
    kw = {"metric": c["metric"]}
    if c.get("p") is not None: kw["p"] = c["p"]
    fwd = med(lambda: ot.dist(x, y, **kw), cfg["trials"])
    xg = x.clone().requires_grad_(True); yg = y.clone().requires_grad_(True)
    M = ot.dist(xg, yg, **kw); G = torch.rand((cfg["n"], cfg["n"]))
    def bwd():
        xg.grad = None; yg.grad = None
        M.backward(G, retain_graph=True)
    out.append([fwd, med(bwd, cfg["trials"])])
print(json.dumps(out))
`;

function benchPot(rows: Row[], trials: number): void {
  const cfg = JSON.stringify({ n: N, trials, rows: rows.map(({ metric, p, d }) => ({ metric, p, d })) });
  const times = runPot(['-c', POT_SCRIPT, cfg]).result as ([number, number] | null)[] | null;
  if (!times) return;
  rows.forEach((row, i) => {
    row.potForwardMs = times[i]?.[0] ?? null;
    row.potBackwardMs = times[i]?.[1] ?? null;
  });
}

function main(): void {
  const trials = numberArg('--trials', 10);
  const wanted = (argValue('--metrics') ?? 'sqeuclidean,euclidean,cityblock,minkowski,chebyshev,cosine').split(',') as ot.DistMetric[];
  const rows: Row[] = [];
  for (const d of DIMS) {
    for (const metric of wanted) rows.push(benchOurs(metric, metric === 'minkowski' ? 3 : undefined, d, trials));
  }
  if (hasFlag('--pot')) benchPot(rows, trials);
  const info = { n: N, m: N, dtype: 'float32', trials, threads: ot.backend().threads, rows };
  if (hasFlag('--json')) {
    printJson(info);
    return;
  }
  console.log(`ot.dist, n = m = ${N}, float32, median of ${trials}, ${info.threads} threads (ms; ratio = POT / ours)`);
  printTable(
    [{ title: 'metric', align: 'left' }, { title: 'd' }, { title: 'forward' }, { title: 'backward' }, { title: 'POT fwd' }, { title: 'POT bwd' }, { title: 'fwd ratio' }, { title: 'bwd ratio' }],
    rows.map((r) => [
      r.p === undefined ? r.metric : `${r.metric} p=${r.p}`, String(r.d), fixed(r.forwardMs), fixed(r.backwardMs),
      fixed(r.potForwardMs), fixed(r.potBackwardMs), speedup(r.potForwardMs, r.forwardMs), speedup(r.potBackwardMs, r.backwardMs),
    ]),
  );
}

main();

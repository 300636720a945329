// Benchmark of ot.dist (POT: ot.dist): forward and backward, n = m = 2000, d = 5 and 64, float32,
// median of 10 after a warm-up. With --pot, POT + torch (CPU) time the same calls in one run.
// Usage: npx tsx bench/dist.ts [--json] [--pot] [--trials N] [--metrics sqeuclidean,euclidean]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as ot from '../lib/index.js';

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

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

function timeMs(trials: number, fn: () => void): number {
  fn();
  const ts: number[] = [];
  for (let t = 0; t < trials; t++) {
    const t0 = process.hrtime.bigint();
    fn();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(ts);
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

function oraclePath(): string | null {
  if (process.env.OT_ORACLE && existsSync(process.env.OT_ORACLE)) return process.env.OT_ORACLE;
  const cached = '/tmp/oracle.path';
  if (existsSync(cached)) {
    const p = readFileSync(cached, 'utf8').trim();
    if (existsSync(p)) return p;
  }
  return null;
}

function benchPot(rows: Row[], trials: number): void {
  const oracle = oraclePath();
  if (!oracle) {
    console.error('--pot: no POT oracle found (set OT_ORACLE to the path ../shared/oracle/setup.sh prints)');
    return;
  }
  const cfg = JSON.stringify({ n: N, trials, rows: rows.map(({ metric, p, d }) => ({ metric, p, d })) });
  const r = spawnSync('/usr/bin/python3', ['-c', POT_SCRIPT, cfg], { env: { ...process.env, PYTHONPATH: oracle }, encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`--pot: POT run failed: ${r.stderr.trim().split('\n').pop()}`);
    return;
  }
  const times = JSON.parse(r.stdout) as ([number, number] | null)[];
  rows.forEach((row, i) => {
    row.potForwardMs = times[i]?.[0] ?? null;
    row.potBackwardMs = times[i]?.[1] ?? null;
  });
}

function main(): void {
  const trials = Number(argValue('--trials') ?? 10);
  const wanted = (argValue('--metrics') ?? 'sqeuclidean,euclidean,cityblock,minkowski,chebyshev,cosine').split(',') as ot.DistMetric[];
  const rows: Row[] = [];
  for (const d of DIMS) {
    for (const metric of wanted) rows.push(benchOurs(metric, metric === 'minkowski' ? 3 : undefined, d, trials));
  }
  if (process.argv.includes('--pot')) benchPot(rows, trials);
  const info = { n: N, m: N, dtype: 'float32', trials, threads: ot.backend().threads, rows };
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(info, null, 2));
    return;
  }
  const fmt = (v: number | null | undefined): string => (v === undefined || v === null ? '—' : v.toFixed(2));
  const ratio = (pot: number | null | undefined, ours: number): string => (pot ? `${(pot / ours).toFixed(1)}×` : '—');
  console.log(`ot.dist, n = m = ${N}, float32, median of ${trials}, ${info.threads} threads (ms; ratio = POT / ours)`);
  console.log('metric        d   forward  backward   POT fwd   POT bwd  fwd ratio  bwd ratio');
  for (const r of rows) {
    const name = r.p === undefined ? r.metric : `${r.metric} p=${r.p}`;
    console.log(
      `${name.padEnd(12)} ${String(r.d).padStart(2)} ${fmt(r.forwardMs).padStart(9)} ${fmt(r.backwardMs).padStart(9)} ` +
        `${fmt(r.potForwardMs).padStart(9)} ${fmt(r.potBackwardMs).padStart(9)} ${ratio(r.potForwardMs, r.forwardMs).padStart(10)} ` +
        `${ratio(r.potBackwardMs, r.backwardMs).padStart(10)}`,
    );
  }
}

main();

// The prebuilt binary against a local -march=native build: runs the benchmark workloads (sinkhorn
// gradients, dist, batch, dual; ours only) in child processes with each binary and each forced CPU
// variant, round-robin so machine load hits every configuration alike, and prints the median of the
// rounds per timing and its ratio to the native build (> 1 means slower than native).
// Usage: npx tsx bench/isa.ts [--rounds N] [--native PATH] [--prebuilt PATH] [--json]
//   defaults: build-native/Release/optimal_transport.node (OT_NATIVE_ARCH=ON build) and
//   prebuilds/linux-x64/node.napi.glibc.node (npm run build:prebuilds)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { argValue, hasFlag, numberArg } from './helpers/cli.js';
import { fixed, printJson, printTable } from './helpers/table.js';
import { median } from './helpers/timing.js';

const WORKLOADS: [string, string[]][] = [
  ['sinkhorn-gradients', ['--no-pot', '--no-large']],
  ['dist', []],
  ['batch', ['--no-pot']],
  ['dual', ['--no-pot']],
];

interface Config {
  name: string;
  addon: string;
  isa?: string;
}

// Timings (keys ending in "ms"/"Ms", and "seconds" as ms; not samples, minima or POT's) of a bench's
// JSON, keyed by their path; array items are named by their string fields and thread count (mode,
// solver, kind, …) so paths stay stable across runs.
function timings(value: unknown, path: string, out: Map<string, number>): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const fields = item && typeof item === 'object' ? Object.entries(item) : [];
      const label = fields.filter(([k, v]) => typeof v === 'string' || k === 'threads').map(([, v]) => String(v)).join(' ');
      timings(item, `${path}[${label || i}]`, out);
    });
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'samples' || k === 'pot' || /pot/i.test(k)) continue;
      if (typeof v === 'number' && /ms$/i.test(k) && !/min/i.test(k)) out.set(`${path}.${k}`, v);
      else if (typeof v === 'number' && k === 'seconds') out.set(`${path}.ms`, v * 1e3);
      else timings(v, `${path}.${k}`, out);
    }
  }
}

function runBench(workload: string, args: string[], config: Config): Map<string, number> {
  const env = { ...process.env, OT_ADDON_PATH: config.addon };
  delete env.OT_ISA;
  if (config.isa) env.OT_ISA = config.isa;
  const res = spawnSync(process.execPath, ['--import', 'tsx', `bench/${workload}.ts`, '--json', ...args], { env, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${workload} with ${config.name} failed:\n${res.stderr}`);
  const out = new Map<string, number>();
  timings(JSON.parse(res.stdout.trim().split('\n').pop()!), workload, out);
  return out;
}

function main(): void {
  const rounds = numberArg('--rounds', 3);
  const native = resolve(argValue('--native') ?? 'build-native/Release/optimal_transport.node');
  const prebuilt = resolve(argValue('--prebuilt') ?? 'prebuilds/linux-x64/node.napi.glibc.node');
  for (const f of [native, prebuilt]) if (!existsSync(f)) throw new Error(`missing ${f} (see the usage line)`);
  const configs: Config[] = [
    { name: 'native', addon: native },
    { name: 'prebuilt', addon: prebuilt },
    { name: 'prebuilt avx2', addon: prebuilt, isa: 'avx2' },
    { name: 'prebuilt generic', addon: prebuilt, isa: 'generic' },
  ];
  const samples = new Map<string, Map<string, number[]>>(); // config → timing → per-round values
  for (let r = 0; r < rounds; r++) {
    for (const [workload, args] of WORKLOADS) {
      for (const config of configs) {
        const byKey = samples.get(config.name) ?? new Map<string, number[]>();
        samples.set(config.name, byKey);
        for (const [k, v] of runBench(workload, args, config)) byKey.set(k, [...(byKey.get(k) ?? []), v]);
      }
    }
  }
  const keys = [...samples.get('native')!.keys()];
  const med = (c: string, k: string) => median(samples.get(c)!.get(k) ?? []);
  const rows = keys.map((k) => [k, fixed(med('native', k), 2), ...configs.slice(1).flatMap((c) => [fixed(med(c.name, k), 2), fixed(med(c.name, k) / med('native', k), 2)])]);
  const geo = (c: string) => Math.exp(keys.reduce((s, k) => s + Math.log(med(c, k) / med('native', k)), 0) / keys.length);
  if (hasFlag('--json')) {
    printJson({ rounds, configs, medians: Object.fromEntries(configs.map((c) => [c.name, Object.fromEntries(keys.map((k) => [k, med(c.name, k)]))])) });
    return;
  }
  const titles = ['native ms', ...configs.slice(1).flatMap((c) => [`${c.name} ms`, 'ratio'])];
  printTable([{ title: 'timing (median of rounds)', align: 'left' }, ...titles.map((title) => ({ title }))], rows);
  console.log(`geometric-mean ratio vs native: ${configs.slice(1).map((c) => `${c.name} ${geo(c.name).toFixed(3)}`).join(', ')} (${rounds} rounds)`);
}

main();

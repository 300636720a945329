// Runs the reference oracle (POT + torch, ../shared/oracle/bench_pot.py) when it is installed and
// returns its JSON; benchmarks print ratios against it. Optional: null when absent or failing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchScript = join(repoRoot, '..', 'shared', 'oracle', 'bench_pot.py');

/** The unpacked POT (PYTHONPATH), from OT_ORACLE, /tmp/oracle.path or ${TMPDIR:-/tmp}/ot-oracle. */
export function oraclePath(): string | null {
  const candidates = [process.env.OT_ORACLE];
  if (existsSync('/tmp/oracle.path')) candidates.push(readFileSync('/tmp/oracle.path', 'utf8').trim());
  candidates.push(join(process.env.TMPDIR ?? '/tmp', 'ot-oracle'));
  for (const c of candidates) if (c && existsSync(join(c, 'ot'))) return c;
  return null;
}

/** bench_pot.py's result for the given workloads (seconds), or null with the reason on stderr. */
export function runOracle(workloads: string[]): Record<string, unknown> | null {
  const path = oraclePath();
  if (!path || !existsSync(benchScript)) {
    console.error('oracle: POT not found (run ../shared/oracle/setup.sh, or set OT_ORACLE to the path it prints)');
    return null;
  }
  const r = spawnSync('/usr/bin/python3', [benchScript, ...workloads], {
    env: { ...process.env, PYTHONPATH: path },
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    console.error(`oracle: bench_pot.py failed: ${(r.stderr ?? '').trim().split('\n').pop()}`);
    return null;
  }
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  } catch {
    console.error('oracle: bench_pot.py printed no JSON');
    return null;
  }
}

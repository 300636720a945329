// Runs the reference oracle (POT master + torch, installed outside the repository) when present:
// bench/oracle/bench_pot.py's timings of the reference workloads, or a benchmark's own POT script.
// Optional: without it a note says why.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The unpacked POT (PYTHONPATH), from OT_ORACLE or ${TMPDIR:-/tmp}/ot-oracle. */
export function oraclePath(): string | null {
  const candidates = [process.env.OT_ORACLE, join(process.env.TMPDIR ?? '/tmp', 'ot-oracle')];
  for (const c of candidates) if (c && existsSync(join(c, 'ot'))) return c;
  return null;
}

/** bench_pot.py: OT_ORACLE_BENCH, else the copy in bench/oracle. */
export function benchScript(): string | null {
  const candidates = [process.env.OT_ORACLE_BENCH, join(repoRoot, 'bench', 'oracle', 'bench_pot.py')];
  return candidates.find((p): p is string => !!p && existsSync(p)) ?? null;
}

/** What an oracle run gave: the JSON it printed, or (result null) a note saying why there is none. */
export type OracleRun = { result: unknown; note: null } | { result: null; note: string };

function without(note: string): OracleRun {
  console.error(`oracle: ${note}`);
  return { result: null, note };
}

/**
 * Runs python3 with POT on PYTHONPATH (args as for python3: a script and its arguments, or -c code ...)
 * and `env` added to this process's environment; the result is the JSON on the last line of its output.
 * @example
 *   const { result } = runPot(['-c', 'import json, ot; print(json.dumps(ot.__version__))']);
 */
export function runPot(args: string[], env: Record<string, string> = {}): OracleRun {
  const path = oraclePath();
  if (!path) return without('POT not found (install POT master + torch and set OT_ORACLE to its PYTHONPATH)');
  const r = spawnSync('/usr/bin/python3', args, {
    env: { ...process.env, ...env, PYTHONPATH: path },
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) return without(`POT run failed: ${(r.stderr ?? '').trim().split('\n').pop() || `exit status ${r.status}`}`);
  try {
    return { result: JSON.parse(r.stdout.trim().split('\n').pop()!) as unknown, note: null };
  } catch {
    return without('the POT run printed no JSON');
  }
}

/**
 * bench_pot.py's timings (seconds) of the given reference workloads.
 * @example
 *   const pot = runOracle(['batch']).result as { batch?: Record<string, number> } | null;
 */
export function runOracle(workloads: string[]): OracleRun {
  const script = benchScript();
  if (!script) return without('bench_pot.py not found (set OT_ORACLE_BENCH to its path)');
  return runPot([script, ...workloads]);
}

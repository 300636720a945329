// The fuzz driver shared by the short (npm test) and long (npm run fuzz) runs: fast-check properties
// over the public API and the raw addon, each case checked by runCase (well-formed result or OTError).
import fc from 'fast-check';
import { afterAll, beforeAll, vi } from 'vitest';
import { PUBLIC_CASES } from './fuzz-public.js';
import { nativeCase } from './fuzz-native.js';
import { report, runCase, uniform, type FuzzCase, type Gen } from './fuzz-values.js';

export type FuzzTarget = 'public' | 'native';

function publicCase(g: Gen): FuzzCase {
  const total = PUBLIC_CASES.reduce((s, [w]) => s + w, 0);
  let r = uniform(g, 0, total - 1);
  for (const [w, make] of PUBLIC_CASES) {
    if (r < w) return make(g);
    r -= w;
  }
  return PUBLIC_CASES[0]![1](g);
}

/** What a run did: cases, how many returned a result, how many threw or rejected an OTError, per label. */
export interface FuzzStats {
  cases: number;
  results: number;
  errors: number;
  byLabel: Map<string, { results: number; errors: number }>;
}

/**
 * Runs `numRuns` cases of `target` from `seed`; fails (fast-check's counterexample report, with the
 * case's arguments) on the first case that crashes the property.
 */
export async function fuzz(target: FuzzTarget, numRuns: number, seed: number): Promise<FuzzStats> {
  const stats: FuzzStats = { cases: 0, results: 0, errors: 0, byLabel: new Map() };
  await fc.assert(
    fc.asyncProperty(fc.gen(), async (g) => {
      const c = target === 'public' ? publicCase(g) : nativeCase(g);
      const o = await runCase(c);
      stats.cases++;
      const entry = stats.byLabel.get(c.label) ?? { results: 0, errors: 0 };
      if (o.ok) {
        stats.results++;
        entry.results++;
      } else {
        stats.errors++;
        entry.errors++;
      }
      stats.byLabel.set(c.label, entry);
      if (o.problem) throw new Error(report(c, o.problem));
    }),
    { seed, numRuns, endOnFailure: true },
  );
  return stats;
}

export function summary(target: FuzzTarget, s: FuzzStats): string {
  return `${target}: ${s.cases} cases, ${s.results} well-formed results, ${s.errors} OTErrors (bad input refused), ${s.byLabel.size} entry points`;
}

/**
 * Registers the hooks both fuzz files need: non-convergence warnings and ot.toc prints are provoked
 * by the thousand, so they are silenced during the run; the returned lines (run summaries) are
 * printed once the file's tests are done.
 */
export function fuzzSummaryLog(): string[] {
  const lines: string[] = [];
  beforeAll(() => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterAll(() => {
    vi.restoreAllMocks();
    console.log(lines.join('\n'));
  });
  return lines;
}

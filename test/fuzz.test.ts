// Short fuzz run (npm test): random shapes, hostile values, wrong types and options through the
// public API and the raw addon exports. Every case must return a well-formed result (NaN-free from
// finite input) or throw / reject an OTError with a valid code; a native crash kills the fork.
import { describe, expect, it } from 'vitest';
import { addon } from '../lib/native.js';
import { coveredExports } from './helpers/fuzz-native.js';
import { fuzz, fuzzSummaryLog, summary, type FuzzStats } from './helpers/fuzz-run.js';

const SEED = 20240611;
const runs = fuzzSummaryLog();

function record(target: 'public' | 'native', s: FuzzStats): void {
  runs.push(summary(target, s));
  // Both outcomes must be exercised: valid calls reach the kernels, bad ones are refused.
  expect(s.results).toBeGreaterThan(s.cases / 5);
  expect(s.errors).toBeGreaterThan(s.cases / 5);
}

describe('fuzz (short run)', () => {
  it('public API: 5000 cases', async () => {
    record('public', await fuzz('public', 5000, SEED));
  });

  it('raw addon exports: 5000 cases', async () => {
    record('native', await fuzz('native', 5000, SEED + 1));
  });

  it('the raw fuzzer covers every addon export', () => {
    const covered = new Set(coveredExports());
    // stopJobs ends every async job of the environment for good (it runs on process 'exit'), so it is
    // tested by the shutdown tests instead.
    const missing = Object.keys(addon).filter((k) => !covered.has(k) && k !== 'setErrorClass' && k !== 'CudaBuffer' && k !== 'stopJobs');
    expect(missing).toEqual([]);
  });
});

// Long fuzz run (npm run fuzz): the properties of test/fuzz.test.ts over many more cases and seeds.
import { describe, expect, it } from 'vitest';
import { fuzz, fuzzSummaryLog, summary } from './helpers/fuzz-run.js';

const SEEDS = [1, 2, 3, 4];
const PER_SEED = 25_000;
const runs = fuzzSummaryLog();

describe('fuzz (long run)', () => {
  for (const seed of SEEDS) {
    for (const target of ['public', 'native'] as const) {
      it(`${target}: ${PER_SEED} cases, seed ${seed}`, async () => {
        const s = await fuzz(target, PER_SEED, seed * 7919);
        runs.push(`seed ${seed} ${summary(target, s)}`);
        expect(s.cases).toBe(PER_SEED);
      });
    }
  }
});

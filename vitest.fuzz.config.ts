// The long fuzz run (npm run fuzz): the same properties as test/fuzz.test.ts with many more cases.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.long.test.ts'],
    testTimeout: 3_600_000,
    pool: 'forks',
  },
});

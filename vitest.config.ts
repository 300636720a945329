// Test runner settings: the unit, fixture, property and short fuzz suites (npm test).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.long.test.ts', 'node_modules/**'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});

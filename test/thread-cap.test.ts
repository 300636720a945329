// The native thread cap (OT_NUM_THREADS) across concurrent async jobs: a large solve alone uses a
// thread team, while many at once run one thread each on the slots of the cap instead of each
// starting its own team (which oversubscribed the cores). Measured in a child process with the cap
// at 2 by counting the process's threads (Linux).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

describe.runIf(process.platform === 'linux')('thread cap across async jobs', () => {
  it('8 concurrent large solveAsync start no team workers beyond the cap; one alone uses a team', () => {
    const out = execFileSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'test/helpers/thread-cap-child.ts'], {
      cwd: root,
      env: { ...process.env, OT_NUM_THREADS: '2', UV_THREADPOOL_SIZE: '4' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const { alone, concurrent } = JSON.parse(out.trim().split('\n').pop()!) as { alone: number; concurrent: number };
    // Alone: its job slot plus one team worker (the cap is 2).
    expect(alone).toBe(1);
    // At once: four jobs on the pool's four threads, at most two running; at most the first job's
    // worker (started before the others queued) on top, never one per job.
    expect(concurrent).toBeLessThanOrEqual(1);
  });
});

// Distributed jobs against a real redis-server: two workers, one SIGKILLed mid-chunk, the assembled matrix
// equal to a local run bit for bit and the dead worker's chunk taken again; a chunk failing on every
// attempt ends the submit with exit 3; bad Redis URLs exit 1.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { parseNpy } from '../lib/cli/npy.js';
import { requireBuiltCli, runCli, startCli, waitFor } from './helpers/cli.js';
import { REDIS_INSTALL, redisServerInstalled, startRedisServer, type RedisServer } from './helpers/redis-server.js';

const dir = mkdtempSync(join(tmpdir(), 'ot-redis-'));
const installed = redisServerInstalled();
if (!installed && process.env.CI) throw new Error(`redis-server is not on PATH (CI must install it: ${REDIS_INSTALL})`);
const skipNote = installed ? '' : ` (SKIPPED: redis-server not on PATH; install it with \`${REDIS_INSTALL}\`)`;

interface WorkerEvent { pid: number; event: string; job?: string; chunk?: number }
function events(stdout: string): WorkerEvent[] {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as WorkerEvent);
}

function cloudFile(name: string, K: number, n: number, seed: number): { file: string; data: number[][][] } {
  const data = Array.from({ length: K }, (_, k) => ot.rand([n, 3], { seed: seed + k }).toArray() as number[][]);
  const file = join(dir, name);
  writeFileSync(file, data.map((x, k) => JSON.stringify({ id: `c${k}`, x })).join('\n') + '\n');
  return { file, data };
}

describe(`optimal-transport worker / submit over Redis${skipNote}`, () => {
  let redis: RedisServer | null = null;
  beforeAll(async () => {
    requireBuiltCli();
    if (installed) redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it.runIf(installed)('2 workers, one SIGKILLed mid-chunk: its chunk is solved again and the matrix equals a local run exactly', async () => {
    const url = redis!.url;
    const { file, data } = cloudFile('kill.jsonl', 24, 120, 1);
    const workerArgs = ['worker', '--redis', url, '--lock-duration', '1500'];
    const a = startCli(workerArgs);
    const b = startCli(workerArgs);
    let aOut = '';
    let bOut = '';
    a.child.stdout!.on('data', (x: Buffer) => (aOut += x.toString()));
    b.child.stdout!.on('data', (x: Buffer) => (bOut += x.toString()));
    try {
      await waitFor(() => aOut.includes('"ready"') && bOut.includes('"ready"'), 'both workers ready');
      const out = join(dir, 'kill.npy');
      const submit = startCli(['submit', 'pairwise', file, '--redis', url, '--out', out, '--reg', '0.02', '--tol', '1e-7', '--chunk', '6']);
      // Kill worker A while it holds a chunk: after it finished one, as soon as it starts another.
      let orphan = -1;
      await waitFor(() => {
        const ev = events(aOut);
        const last = ev.at(-1);
        if (ev.some((e) => e.event === 'done') && last?.event === 'start') {
          a.child.kill('SIGKILL');
          orphan = last.chunk!;
          return true;
        }
        return false;
      }, 'worker A mid-chunk', 120_000, 1);
      const killed = await a.done;
      expect(killed.signal).toBe('SIGKILL');
      const s = await submit.done;
      expect(s.code, s.stderr).toBe(0);
      // Worker B took the dead worker's chunk again once its lock expired (solved it, or found it already written).
      const fromB = events(bOut).filter((e) => e.chunk === orphan && (e.event === 'start' || e.event === 'skip'));
      expect(fromB.length, `chunk ${orphan} in worker B's log`).toBeGreaterThan(0);
      const local = await ot.jobs.pairwise(data.map((x) => ({ x })), { reg: 0.02, tol: 1e-7 });
      const got = parseNpy(out, readFileSync(out)).data as Float64Array;
      expect(Buffer.from(got.buffer).equals(Buffer.from(local.values.data.buffer))).toBe(true);
      // Progress reached the whole matrix, as JSON lines on a non-TTY stderr.
      const progress = s.stderr.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { done: number; total: number });
      expect(progress.at(-1)).toEqual(expect.objectContaining({ done: 576, total: 576 }));
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGTERM');
      await Promise.all([a.done, b.done]);
    }
  });

  it.runIf(installed && !ot.cuda.cudaAvailable())('a chunk failing on every attempt: submit exits 3 naming its pairs, OUT not written', async () => {
    const url = redis!.url;
    const { file } = cloudFile('fail.jsonl', 3, 5, 50);
    // Workers asked for a GPU this machine does not have fail every chunk with ERR_OT_DEVICE.
    const w = startCli(['worker', '--redis', url, '--device', 'cuda', '--queue', 'fail-test']);
    let wOut = '';
    w.child.stdout!.on('data', (x: Buffer) => (wOut += x.toString()));
    try {
      await waitFor(() => wOut.includes('"ready"'), 'worker ready');
      const out = join(dir, 'fail.npy');
      const s = await runCli(['submit', 'pairwise', file, '--redis', url, '--queue', 'fail-test', '--out', out, '--reg', '0.1', '--attempts', '2']);
      expect(s.code, s.stderr).toBe(3);
      expect(s.stderr).toMatch(/chunk 0 failed 2 time\(s\), pairs \(0, 0\), \(0, 1\), \(0, 2\), \(1, 1\)/);
      expect(s.stderr).toMatch(/cuda|CUDA|GPU/);
      expect(existsSync(out)).toBe(false);
      expect(events(wOut).filter((e) => e.event === 'failed').length).toBeGreaterThanOrEqual(2);
    } finally {
      w.child.kill('SIGTERM');
      await w.done;
    }
  });
});

describe('optimal-transport submit: Redis URLs', () => {
  beforeAll(() => requireBuiltCli());
  const { file } = cloudFile('url.jsonl', 2, 3, 60);
  it('a URL that is not redis:// exits 1', async () => {
    const r = await runCli(['submit', 'pairwise', file, '--redis', 'http://localhost:6379', '--out', join(dir, 'u.npy'), '--reg', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--redis must be a redis:\/\/ or rediss:\/\/ URL/);
  });
  it('a Redis nobody listens on exits 1 with the address', async () => {
    const r = await runCli(['submit', 'pairwise', file, '--redis', 'redis://127.0.0.1:1', '--out', join(dir, 'u.npy'), '--reg', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  });
});

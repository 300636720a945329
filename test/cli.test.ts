// The `optimal-transport` command run locally: --help, .jsonl and .npy in and out (equal to
// ot.jobs.pairwise bit for bit), JSON progress lines on a non-TTY, resume after SIGKILL, bad input files.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { encodeNpy, parseNpy } from '../lib/cli/npy.js';
import { requireBuiltCli, runCli, startCli, waitFor } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ot-cli-'));

/** K clouds of n points in d dimensions (deterministic), as .jsonl measures and as nested arrays. */
function cloudData(K: number, n: number, d: number, seed: number): number[][][] {
  return Array.from({ length: K }, (_, k) => ot.rand([n, d], { seed: seed + k }).toArray() as number[][]);
}
function writeJsonl(name: string, data: number[][][], extra: (k: number) => object = () => ({})): string {
  const file = join(dir, name);
  writeFileSync(file, data.map((x, k) => JSON.stringify({ id: `c${k}`, x, ...extra(k) })).join('\n') + '\n');
  return file;
}
function readNpyValues(file: string): { shape: number[]; data: Float64Array } {
  const a = parseNpy(file, readFileSync(file));
  return { shape: a.shape, data: a.data as Float64Array };
}
function bits(a: Float64Array | ot.FloatArray): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

beforeAll(() => requireBuiltCli());

describe('optimal-transport CLI', () => {
  it('--help documents every flag of every command', async () => {
    const flags: Record<string, string[]> = {
      pairwise: ['--with', '--out', '--reg', '--exact', '--metric', '--p', '--dtype', '--max-iter', '--tol', '--chunk', '--concurrency', '--device', '--resume', '--retries'],
      worker: ['--redis', '--concurrency', '--device', '--queue', '--lock-duration'],
      'submit pairwise': ['--with', '--out', '--reg', '--exact', '--metric', '--redis', '--chunk', '--queue', '--attempts'],
    };
    for (const [cmd, list] of Object.entries(flags)) {
      const r = await runCli([...cmd.split(' '), '--help']);
      expect(r.code, cmd).toBe(0);
      for (const f of list) expect(r.stdout, `${cmd} ${f}`).toContain(f);
    }
    const top = await runCli(['--help']);
    expect(top.stdout).toMatch(/pairwise[\s\S]*worker[\s\S]*submit[\s\S]*Exit codes/);
  });

  it('.jsonl in, .npy and .jsonl out: the values of ot.jobs.pairwise, bit for bit; JSON progress lines on a non-TTY', async () => {
    const data = cloudData(7, 12, 2, 1);
    const input = writeJsonl('seven.jsonl', data);
    const outNpy = join(dir, 'seven.npy');
    const r = await runCli(['pairwise', input, '--out', outNpy, '--reg', '0.1', '--chunk', '4']);
    expect(r.code, r.stderr).toBe(0);
    const lib = await ot.jobs.pairwise(data.map((x) => ({ x })), { reg: 0.1 });
    const npy = readNpyValues(outNpy);
    expect(npy.shape).toEqual([7, 7]);
    expect(bits(npy.data).equals(bits(lib.values.data))).toBe(true);
    const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const l of lines) expect(Object.keys(l).sort()).toEqual(['done', 'elapsedSeconds', 'etaSeconds', 'total']);
    expect(lines.at(-1)).toMatchObject({ done: 49, total: 49, etaSeconds: 0 });
    expect(existsSync(`${outNpy}.partial`)).toBe(false);

    const outJsonl = join(dir, 'seven.out.jsonl');
    expect((await runCli(['pairwise', input, '--out', outJsonl, '--reg', '0.1'])).code).toBe(0);
    const rows = readFileSync(outJsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { i: number; j: number; idI: string; idJ: string; value: number; status: string; nIter: number });
    expect(rows.length).toBe(49);
    expect(rows[9]).toMatchObject({ i: 1, j: 2, idI: 'c1', idJ: 'c2', status: 'converged', value: lib.values.data[9], nIter: lib.nIter[1]![2] });
  });

  it('.npy [K, n, d] in, with --with: K x K2', async () => {
    const a = cloudData(3, 5, 2, 10);
    const b = cloudData(2, 5, 2, 20);
    const fa = join(dir, 'a.npy');
    writeFileSync(fa, encodeNpy([3, 5, 2], Float64Array.from(a.flat(2))));
    const fb = writeJsonl('b.jsonl', b);
    const out = join(dir, 'ab.npy');
    const r = await runCli(['pairwise', fa, '--with', fb, '--out', out, '--reg', '0.2']);
    expect(r.code, r.stderr).toBe(0);
    const lib = await ot.jobs.pairwise(a.map((x) => ({ x })), { reg: 0.2, with: b.map((x) => ({ x })) });
    const npy = readNpyValues(out);
    expect(npy.shape).toEqual([3, 2]);
    expect(bits(npy.data).equals(bits(lib.values.data))).toBe(true);
  });

  it('--resume after SIGKILL finishes the job without solving the finished chunks again, equal to a whole run', async () => {
    const data = cloudData(20, 100, 3, 30);
    const input = writeJsonl('resume.jsonl', data);
    const out = join(dir, 'resume.npy');
    const partial = `${out}.partial`;
    const args = ['pairwise', input, '--out', out, '--reg', '0.02', '--tol', '1e-7', '--chunk', '3'];
    const run = startCli(args);
    const chunkLines = (): number => (existsSync(partial) ? readFileSync(partial, 'utf8').split('\n').filter((l) => l.startsWith('{"chunk"')).length : 0);
    await waitFor(() => chunkLines() >= 2, 'two finished chunks in the checkpoint');
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(out)).toBe(false);
    const before = chunkLines();
    expect(before).toBeGreaterThanOrEqual(2);
    expect(before).toBeLessThan(70); // killed mid-job: 210 pairs make 70 chunks

    const refused = await runCli(args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('pass --resume');

    const resumed = await runCli([...args, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const first = JSON.parse(resumed.stderr.trim().split('\n')[0]!) as { done: number; total: number };
    // Chunks of 3 pairs fill at most 6 entries each; the resumed run starts from what the checkpoint held.
    expect(first.done).toBeGreaterThanOrEqual(before * 3);
    expect(first.total).toBe(400);
    expect(existsSync(partial)).toBe(false);
    const lib = await ot.jobs.pairwise(data.map((x) => ({ x })), { reg: 0.02, tol: 1e-7 });
    expect(bits(readNpyValues(out).data).equals(bits(lib.values.data))).toBe(true);
  });
});

describe('optimal-transport CLI interrupted', () => {
  it('SIGINT: exit 2, the checkpoint kept and named', async () => {
    const input = writeJsonl('interrupt.jsonl', cloudData(20, 100, 3, 70));
    const out = join(dir, 'interrupt.npy');
    const run = startCli(['pairwise', input, '--out', out, '--reg', '0.02', '--tol', '1e-7', '--chunk', '2']);
    await waitFor(() => existsSync(`${out}.partial`) && readFileSync(`${out}.partial`, 'utf8').includes('"chunk"'), 'a finished chunk');
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${out}.partial; continue with --resume`);
    expect(existsSync(`${out}.partial`)).toBe(true);
    expect(existsSync(out)).toBe(false);
  });
});

describe.concurrent('optimal-transport CLI bad input (exit 1, the message names the file and line)', () => {
  const two = cloudData(2, 3, 2, 40);
  const cases: [string, () => string[], RegExp][] = [
    ['malformed line', () => {
      const f = join(dir, 'malformed.jsonl');
      writeFileSync(f, `${JSON.stringify({ x: two[0] })}\n${JSON.stringify({ x: two[1] })}\n{"x": [[0, 1]\n`);
      return [f];
    }, /malformed\.jsonl line 3: malformed JSON/],
    ['ragged points', () => [writeJsonl('ragged.jsonl', [two[0]!, [[0, 1], [1]]])], /ragged\.jsonl line 2: x is ragged: point 0 has 2 coordinates but point 1 has 1/],
    ['mismatched dimensions', () => [writeJsonl('dims.jsonl', [two[0]!, two[1]!, [[0, 1, 2]]])], /dims\.jsonl line 3 has points of dimension 3 but .*dims\.jsonl line 1 has 2/],
    ['negative weights', () => [writeJsonl('negw.jsonl', two, (k) => ({ w: k === 1 ? [0.5, 0.75, -0.25] : [1 / 3, 1 / 3, 1 / 3] }))], /negw\.jsonl line 2: w\[2\] must be a finite number >= 0, got -0\.25/],
    ['an empty line inside', () => {
      const f = join(dir, 'blank.jsonl');
      writeFileSync(f, `${JSON.stringify({ x: two[0] })}\n\n${JSON.stringify({ x: two[1] })}\n`);
      return [f];
    }, /blank\.jsonl line 2: empty line/],
    ['a .npy of the wrong rank', () => {
      const f = join(dir, 'rank.npy');
      writeFileSync(f, encodeNpy([2, 3], new Float64Array(6)));
      return [f];
    }, /rank\.npy: a \.npy input must be \[K, n, d\], got shape \(2, 3\)/],
    ['a missing file', () => [join(dir, 'nope.jsonl')], /ENOENT|no such file/],
    ['--reg with --exact', () => [writeJsonl('ok.jsonl', two), '--exact'], /reg and exact: true exclude each other/],
    ['an unknown output format', () => [writeJsonl('ok2.jsonl', two), '--out', join(dir, 'out.csv')], /the output must be \.npy .* or \.jsonl/],
    ['a bad --reg', () => [writeJsonl('ok3.jsonl', two), '--reg', 'abc'], /--reg <r>' argument 'abc' is invalid/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const a = args();
      const out = a.includes('--out') ? [] : ['--out', join(dir, `${name.replace(/\W+/g, '-')}.npy`)];
      const reg = a.includes('--reg') ? [] : ['--reg', '0.5'];
      const r = await runCli(['pairwise', ...a, ...out, ...reg]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
    });
  }
});

// The demo (`npm run demo`): both reference workflows run end to end and write their figures.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const figures = [
  'sinkhorn-gradients-times',
  'dual-ot-data',
  'dual-ot-entropic-loss',
  'dual-ot-entropic-plan',
  'dual-ot-quadratic-loss',
  'dual-ot-quadratic-plan',
  'ot-1d-distributions',
  'ot-1d-cost',
  'ot-1d-exact',
  'ot-1d-sinkhorn',
  'otda-samples',
  'otda-cost',
  'otda-coupling-emd',
  'otda-coupling-sinkhorn',
  'otda-plan-sinkhorn',
  'otda-transported-emd',
  'otda-transported-sinkhorn',
  'barycenter-1d-distributions',
  'barycenter-1d-barycenters',
  'barycenter-1d-l2-interpolation',
  'barycenter-1d-wasserstein-interpolation',
];

describe('npm run demo', () => {
  it.runIf(existsSync(join(root, 'dist', 'index.js')))('writes every figure as PNG and SVG and converges', () => {
    const out = mkdtempSync(join(tmpdir(), 'ot-demo-'));
    const log = execFileSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'examples/run-demo.ts'], {
      cwd: root,
      env: { ...process.env, OT_DEMO_OUT: out },
      encoding: 'utf8',
      timeout: 240_000,
    });
    for (const name of figures) {
      const png = readFileSync(join(out, `${name}.png`));
      expect(png.subarray(1, 4).toString('latin1'), name).toBe('PNG');
      expect(statSync(join(out, `${name}.svg`)).size, name).toBeGreaterThan(1000);
    }
    expect(log).toMatch(/autodiff\s+median/);
    // Both dual runs print the original's progress lines and end near the optimum (flat curve).
    const finals = [...log.matchAll(/Iter: 190, loss=(-?[\d.e+-]+)/g)].map((m) => Number(m[1]));
    expect(finals).toHaveLength(2);
    for (const f of finals) expect(f).toBeLessThan(-40);
    // The 1-D example: the entropic plan costs a little more than the exact one.
    const [exact, entropic] = (log.match(/exact cost ([\d.]+), Sinkhorn \(reg 0.001\) cost ([\d.]+)/) ?? []).slice(1).map(Number);
    expect(exact).toBeGreaterThan(0.1);
    expect(entropic! - exact!).toBeGreaterThan(0);
    expect(entropic! - exact!).toBeLessThan(0.01);
    // Domain adaptation: most transported samples land among target samples of their class.
    const kept = [...log.matchAll(/(\d+) of 150 transported samples land nearest a target sample of their class/g)].map((m) => Number(m[1]));
    expect(kept).toHaveLength(2);
    for (const k of kept) expect(k).toBeGreaterThan(100);
    // Barycenter: a histogram whose mean lies between the sources' (20 and 60), nearer the heavier one.
    const [mass, mean] = (log.match(/barycenter at alpha 0.2: mass ([\d.]+), mean ([\d.]+)/) ?? []).slice(1).map(Number);
    expect(Math.abs(mass! - 1)).toBeLessThan(1e-6);
    expect(mean).toBeGreaterThan(24);
    expect(mean).toBeLessThan(32);
  }, 300_000);
});

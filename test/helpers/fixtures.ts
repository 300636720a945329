// Loads a POT reference fixture from test/fixtures and compares arrays with POT's tolerances.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadFixture(name: string): { meta: Record<string, unknown>; cases: any[] } {
  return JSON.parse(readFileSync(join(here, '..', 'fixtures', `${name}.json`), 'utf8'));
}

/** Tolerances of shared/reference/README.md: float64 rel 1e-7 (abs 1e-10 near zero), float32 rel 1e-4. */
export function tolerance(dtype: 'float32' | 'float64'): { rel: number; abs: number } {
  return dtype === 'float64' ? { rel: 1e-7, abs: 1e-10 } : { rel: 1e-4, abs: 1e-6 };
}

type Nested = number | Nested[];
export function flat(v: Nested | ArrayLike<number>): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return (v as Nested[]).flatMap((e) => flat(e));
  return Array.from(v as ArrayLike<number>);
}

/** Asserts |got - want| <= abs + rel * max|want| entrywise (relative to the array's scale). */
export function expectClose(got: Nested | ArrayLike<number>, want: Nested | ArrayLike<number>, tol: { rel: number; abs: number }, what = ''): void {
  const g = flat(got);
  const w = flat(want);
  expect(g.length, `${what}: length`).toBe(w.length);
  const scale = Math.max(...w.map(Math.abs), 0);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < w.length; i++) {
    const err = Math.abs(g[i]! - w[i]!) - tol.abs;
    const rel = err / Math.max(scale, 1e-300);
    if (!(rel <= worst) ) {
      worst = rel;
      at = i;
    }
  }
  if (!(worst <= tol.rel)) {
    expect.fail(`${what}: entry ${at} got ${g[at]} want ${w[at]} (relative error ${worst.toExponential(2)} > ${tol.rel})`);
  }
}

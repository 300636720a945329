// toString() as torch prints a tensor: nested brackets, one precision for all entries (4 decimals, or
// scientific when the magnitudes call for it), and "..." with 3 edge items per dim beyond 1000 entries.
import type { DType, FloatArray } from './dtype.js';

const THRESHOLD = 1000;
const EDGE = 3;

function formatter(values: FloatArray): (v: number) => string {
  let lo = Infinity;
  let hi = 0;
  let allInt = true;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const a = Math.abs(v);
    if (a > hi) hi = a;
    if (a > 0 && a < lo) lo = a;
    if (!Number.isInteger(v)) allInt = false;
  }
  // torch: scientific when the largest is >= 1e8, or the largest / smallest nonzero ratio exceeds 1e3 with tiny values
  const sci = hi >= 1e8 || (lo !== Infinity && (lo < 1e-4 || hi / lo > 1e3) && !allInt);
  return (v: number): string => {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    if (sci) return v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
    return allInt ? `${v}.` : v.toFixed(4);
  };
}

/** The entries of `shape` printed (those beyond the edge items are skipped when summarising). */
function shown(len: number, summarise: boolean): number[] {
  if (!summarise || len <= 2 * EDGE) return Array.from({ length: len }, (_, i) => i);
  return [...Array.from({ length: EDGE }, (_, i) => i), -1, ...Array.from({ length: EDGE }, (_, i) => len - EDGE + i)];
}

export function formatTensor(data: FloatArray, shape: readonly number[], dtype: DType, extras: string[]): string {
  const summarise = data.length > THRESHOLD;
  const fmt = formatter(data);
  const cells = Array.from(data, fmt);
  const width = Math.max(1, ...cells.map((c) => c.length));
  const pad = (s: string) => s.padStart(width);
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const indent = 'tensor('.length;
  const rec = (offset: number, d: number): string => {
    if (d === shape.length) return pad(cells[offset]!);
    const items = shown(shape[d]!, summarise).map((i) => (i < 0 ? '...' : rec(offset + i * strides[d]!, d + 1)));
    if (d === shape.length - 1) return `[${items.join(', ')}]`;
    const sep = `,${'\n'.repeat(shape.length - d - 1)}${' '.repeat(indent + d + 1)}`;
    return `[${items.join(sep)}]`;
  };
  const body = shape.length === 0 ? cells[0]! : rec(0, 0);
  const tail = [...(dtype === 'float32' ? [] : [`dtype=${dtype}`]), ...extras];
  return `tensor(${body}${tail.length > 0 ? `, ${tail.join(', ')}` : ''})`;
}

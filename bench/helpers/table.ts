// Output of the benchmarks: aligned text tables for people, and the --json form for scripts.

export interface Column {
  title: string;
  /** Numbers read best right-aligned (the default); names left-aligned. */
  align?: 'left' | 'right';
}

/**
 * Rows of cells under their titles, every column as wide as its widest cell, columns two spaces apart.
 * @example
 *   formatTable([{ title: 'mode', align: 'left' }, { title: 'ms' }], [['autodiff', '9.73']]);
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, k) => Math.max(c.title.length, ...rows.map((r) => (r[k] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    columns
      .map((c, k) => (c.align === 'left' ? (cells[k] ?? '').padEnd(widths[k]!) : (cells[k] ?? '').padStart(widths[k]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...rows.map(line)].join('\n');
}

/** Prints formatTable's text. */
export function printTable(columns: readonly Column[], rows: readonly (readonly string[])[]): void {
  console.log(formatTable(columns, rows));
}

/** `v` with `digits` decimals, or '—' for a missing value. */
export function fixed(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits);
}

/** How many times faster ours is than the reference ("3.2×"), or '—' without a reference. */
export function speedup(reference: number | null | undefined, ours: number): string {
  return reference ? `${(reference / ours).toFixed(1)}×` : '—';
}

/** The --json form: the whole result on one line, so a script can parse the last line of the output. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value));
}

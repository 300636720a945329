// Box-and-whisker statistics exactly as matplotlib.cbook.boxplot_stats computes them (whis = 1.5 IQR,
// quartiles by numpy.percentile's default linear interpolation).

export interface BoxStats {
  readonly q1: number;
  readonly median: number;
  readonly q3: number;
  /** Lowest datum >= q1 - whis·IQR (or q1 when none lies between). */
  readonly whislo: number;
  /** Highest datum <= q3 + whis·IQR (or q3 when none lies between). */
  readonly whishi: number;
  /** Data beyond the whiskers. */
  readonly fliers: readonly number[];
}

/** numpy.percentile(sorted, p) with method='linear' on an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Statistics of one non-empty group of finite values. */
export function boxStats(values: ArrayLike<number>, whis = 1.5): BoxStats {
  const x = Float64Array.from(values).sort();
  const q1 = percentile(x, 25);
  const median = percentile(x, 50);
  const q3 = percentile(x, 75);
  const iqr = q3 - q1;
  const loval = q1 - whis * iqr;
  const hival = q3 + whis * iqr;
  let hiMax = -Infinity;
  let loMin = Infinity;
  for (const v of x) {
    if (v <= hival && v > hiMax) hiMax = v;
    if (v >= loval && v < loMin) loMin = v;
  }
  const whishi = hiMax === -Infinity || hiMax < q3 ? q3 : hiMax;
  const whislo = loMin === Infinity || loMin > q1 ? q1 : loMin;
  const fliers = [...x.filter((v) => v < whislo), ...x.filter((v) => v > whishi)];
  return { q1, median, q3, whislo, whishi, fliers };
}

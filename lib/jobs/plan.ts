// The pairs of a pairwise job and their split into chunks: a deterministic function of the measures'
// sizes and the chunk size, so a resumed run and every Redis worker agree on what chunk k holds.

/** One chunk: pairs (pairs[2t], pairs[2t+1]) = (row i, column j), all of source size n and target size m. */
export interface Chunk {
  readonly index: number;
  readonly n: number;
  readonly m: number;
  readonly pairs: Int32Array;
}

/** The chunks of a job over K row measures and K2 column measures. */
export interface JobPlan {
  readonly K: number;
  readonly K2: number;
  /** One measure list (no `with`) and a symmetric cost: each unordered pair is solved once and mirrored. */
  readonly mirrored: boolean;
  readonly chunks: readonly Chunk[];
  /** Number of pairs solved (K·(K+1)/2 when mirrored, else K·K2). */
  readonly pairCount: number;
}

/**
 * Pairs in row-major order (i <= j when mirrored), grouped by (size of i, size of j) so each chunk is one
 * native batch; a group's pairs are cut into chunks of `chunkSize` as they come, and the groups' last,
 * partial chunks follow in the order the groups first appeared.
 */
export function planPairs(rowSizes: readonly number[], colSizes: readonly number[], mirrored: boolean, chunkSize: number): JobPlan {
  const K = rowSizes.length;
  const K2 = colSizes.length;
  const chunks: Chunk[] = [];
  const open = new Map<string, { n: number; m: number; pairs: number[] }>();
  let pairCount = 0;
  for (let i = 0; i < K; i++) {
    for (let j = mirrored ? i : 0; j < K2; j++) {
      const n = rowSizes[i]!;
      const m = colSizes[j]!;
      const key = `${n}x${m}`;
      let g = open.get(key);
      if (!g) {
        g = { n, m, pairs: [] };
        open.set(key, g);
      }
      g.pairs.push(i, j);
      pairCount++;
      if (g.pairs.length === 2 * chunkSize) {
        chunks.push({ index: chunks.length, n, m, pairs: Int32Array.from(g.pairs) });
        g.pairs = [];
      }
    }
  }
  for (const g of open.values()) {
    if (g.pairs.length > 0) chunks.push({ index: chunks.length, n: g.n, m: g.m, pairs: Int32Array.from(g.pairs) });
  }
  return { K, K2, mirrored, chunks, pairCount };
}

/** Entries of the [K, K2] matrix a chunk fills (twice the pairs off the diagonal when mirrored). */
export function chunkEntries(plan: JobPlan, c: Chunk): number {
  if (!plan.mirrored) return c.pairs.length / 2;
  let e = 0;
  for (let t = 0; t < c.pairs.length; t += 2) e += c.pairs[t] === c.pairs[t + 1] ? 1 : 2;
  return e;
}

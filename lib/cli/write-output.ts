// Writes a job's result: .npy (float64 [K, K2] values) or .jsonl (one line per entry, row-major:
// {"i","j","idI","idJ","value","status","nIter"}), to a temporary file renamed into place, so OUT
// either holds the whole result or does not exist.
import { createWriteStream } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { once } from 'node:events';
import { fail } from '../core/validate.js';
import type { PairwiseMatrix } from '../jobs/pairwise.js';
import { encodeNpy } from './npy.js';

const STATUS = ['converged', 'max_iter', 'diverged'];

/** Rejects an OUT the writer cannot produce, before any work is done. */
export function checkOutputPath(out: string): void {
  const ext = extname(out).toLowerCase();
  if (ext !== '.npy' && ext !== '.jsonl') fail('ERR_OT_ARG', `--out ${out}: the output must be .npy (float64 [K, K2] matrix) or .jsonl (one line per pair)`);
}

export async function writeOutput(out: string, m: PairwiseMatrix, rowIds: readonly string[], colIds: readonly string[]): Promise<void> {
  const tmp = `${out}.tmp-${process.pid}`;
  const { K, K2 } = m.plan;
  if (extname(out).toLowerCase() === '.npy') {
    await writeFile(tmp, encodeNpy([K, K2], m.values));
  } else {
    const s = createWriteStream(tmp);
    for (let i = 0; i < K; i++) {
      for (let j = 0; j < K2; j++) {
        const e = i * K2 + j;
        const v = m.values[e]!;
        const line = `${JSON.stringify({ i, j, idI: rowIds[i], idJ: colIds[j], value: Number.isFinite(v) ? v : null, status: STATUS[m.status[e]!], nIter: m.nIter[e] })}\n`;
        if (!s.write(line)) await once(s, 'drain');
      }
    }
    s.end();
    await once(s, 'finish');
  }
  await rename(tmp, out);
}

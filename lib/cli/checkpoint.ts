// The checkpoint of a CLI run (OUT.partial): a header naming the job, then one JSON line per finished
// chunk, appended with one write each, so a killed run leaves every finished chunk readable and at
// most one torn last line, which resuming ignores.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { fail } from '../core/validate.js';
import type { Status } from '../core/vocabulary.js';
import type { ChunkResult } from '../jobs/solve-chunk.js';

const FORMAT = 'optimal-transport checkpoint 1';

/** The identity of a job: its inputs' digests and everything that decides its chunks and values. */
export function fingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export class Checkpoint {
  private constructor(readonly path: string, private fd: number) {}

  /**
   * Opens OUT.partial. `resume`: reads the chunks it holds (the header must match `id`); without it an
   * existing checkpoint is an error, so a finished part is never overwritten by accident.
   */
  static open(out: string, id: string, resume: boolean): { checkpoint: Checkpoint; done: Map<number, ChunkResult> } {
    const path = `${out}.partial`;
    const done = new Map<number, ChunkResult>();
    if (existsSync(path)) {
      if (!resume) fail('ERR_OT_ARG', `${path} exists (a killed run): pass --resume to continue it, or delete it to start again`);
      const lines = readFileSync(path, 'utf8').split('\n');
      let header: { format?: string; job?: string } | null;
      try {
        header = JSON.parse(lines[0]!) as { format?: string; job?: string };
      } catch {
        header = null;
      }
      if (header?.format !== FORMAT) fail('ERR_OT_VALUE', `${path}: not a checkpoint of this program (bad header line)`);
      if (header.job !== id) fail('ERR_OT_VALUE', `${path} was written for other inputs or options; rerun with the same ones, or delete it`);
      for (let k = 1; k < lines.length; k++) {
        const r = parseChunk(lines[k]!);
        if (r) done.set(r.chunk, r.result);
      }
      // Rewrite the readable part, so a torn last line is not followed by new ones.
      const fd = openSync(path, 'w');
      writeSync(fd, `${lines[0]}\n`);
      const cp = new Checkpoint(path, fd);
      for (const [chunk, result] of done) cp.append(chunk, result);
      return { checkpoint: cp, done };
    }
    const fd = openSync(path, 'w');
    writeSync(fd, `${JSON.stringify({ format: FORMAT, job: id })}\n`);
    return { checkpoint: new Checkpoint(path, fd), done };
  }

  /** Appends a finished chunk (NaN values are written as null and read back as NaN). */
  append(chunk: number, r: ChunkResult): void {
    writeSync(this.fd, `${JSON.stringify({ chunk, values: Array.from(r.values), status: r.status, nIter: Array.from(r.nIter) })}\n`);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Deletes the checkpoint once OUT is written. */
  remove(): void {
    this.close();
    rmSync(this.path, { force: true });
  }
}

function parseChunk(line: string): { chunk: number; result: ChunkResult } | null {
  if (line.trim() === '') return null;
  try {
    const o = JSON.parse(line) as { chunk: number; values: (number | null)[]; status: Status[]; nIter: number[] };
    if (!Number.isInteger(o.chunk) || !Array.isArray(o.values) || o.values.length !== o.status?.length || o.values.length !== o.nIter?.length) return null;
    return { chunk: o.chunk, result: { values: Float64Array.from(o.values, (v) => (v === null ? Number.NaN : v)), status: o.status, nIter: Int32Array.from(o.nIter) } };
  } catch {
    return null; // the torn last line of a killed run
  }
}

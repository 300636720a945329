// Reads the CLI's inputs: .jsonl (one measure { id?, x, w? } per line) or .npy ([K, n, d], uniform
// weights), checked with messages naming the file and line; also a digest of the bytes for checkpoints.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { fail } from '../core/validate.js';
import { toMeasure, type Measure } from '../jobs/measures.js';
import type { DType } from '../tensor/dtype.js';
import { parseNpy, type NpyArray } from './npy.js';

/** An input file parsed but not yet converted to the job's dtype. */
export interface RawInput {
  readonly file: string;
  readonly kind: 'jsonl' | 'npy';
  /** sha256 of the file's bytes. */
  readonly digest: string;
  /** .jsonl: the parsed lines (objects, in order). */
  readonly lines?: unknown[];
  /** .npy: the [K, n, d] array. */
  readonly npy?: NpyArray;
}

/** Parses `file` by its extension; a line that is not JSON or an unreadable .npy is an ERR_OT_VALUE naming it. */
export async function readInput(file: string): Promise<RawInput> {
  const ext = extname(file).toLowerCase();
  if (ext === '.npy') {
    const buf = await readFile(file);
    const npy = parseNpy(file, buf);
    if (npy.shape.length !== 3) fail('ERR_OT_SHAPE', `${file}: a .npy input must be [K, n, d], got shape (${npy.shape.join(', ')})`);
    if (npy.shape.some((s) => s < 1)) fail('ERR_OT_SHAPE', `${file}: shape (${npy.shape.join(', ')}) has an empty dimension`);
    return { file, kind: 'npy', digest: createHash('sha256').update(buf).digest('hex'), npy };
  }
  if (ext !== '.jsonl') fail('ERR_OT_ARG', `${file}: inputs must be .jsonl (one measure per line) or .npy ([K, n, d]), got '${ext || 'no extension'}'`);
  const hash = createHash('sha256');
  const stream = createReadStream(file);
  stream.on('data', (b) => hash.update(b));
  const lines: unknown[] = [];
  let blankAt = 0;
  let lineNo = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    lineNo++;
    if (text.trim() === '') {
      blankAt ||= lineNo;
      continue;
    }
    if (blankAt) fail('ERR_OT_VALUE', `${file} line ${blankAt}: empty line (one measure per line, none empty)`);
    try {
      lines.push(JSON.parse(text));
    } catch (e) {
      fail('ERR_OT_VALUE', `${file} line ${lineNo}: malformed JSON (${(e as Error).message})`);
    }
  }
  if (lines.length === 0) fail('ERR_OT_VALUE', `${file}: no measures (the file is empty)`);
  return { file, kind: 'jsonl', digest: hash.digest('hex'), lines };
}

/** The dtype of a run: `--dtype` when given, else float32 when every input is a float32 .npy, else float64. */
export function inputDType(inputs: readonly RawInput[], flag: DType | undefined): DType {
  if (flag) return flag;
  return inputs.every((r) => r.npy?.data instanceof Float32Array) ? 'float32' : 'float64';
}

/** Names measure k of an input in messages: its line in a .jsonl, its index in a .npy. */
export function measureName(r: RawInput, k: number): string {
  return r.kind === 'jsonl' ? `${r.file} line ${k + 1}` : `${r.file} measure ${k}`;
}

/** Checks and converts every measure of an input to `dtype`. */
export function toMeasures(r: RawInput, dtype: DType): Measure[] {
  if (r.npy) {
    const [K, n, d] = r.npy.shape as [number, number, number];
    const out: Measure[] = [];
    for (let k = 0; k < K; k++) {
      const x = dtype === 'float32' ? new Float32Array(n * d) : new Float64Array(n * d);
      x.set(r.npy.data.subarray(k * n * d, (k + 1) * n * d));
      const bad = x.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) fail('ERR_OT_VALUE', `${measureName(r, k)}: x[${Math.floor(bad / d)}][${bad % d}] must be finite, got ${x[bad]}`);
      out.push({ id: String(k), n, d, x, w: null });
    }
    return out;
  }
  return r.lines!.map((v, k) => toMeasure((f) => `${measureName(r, k)}${f ? `: ${f}` : ''}`, v, k, dtype));
}

// Binary forms of what a distributed job keeps in Redis: its measures (stored once by the submitter)
// and each chunk's results (written once by the worker that solved it); both round-trip bit for bit.
import type { Status } from '../../core/vocabulary.js';
import type { DType } from '../../tensor/dtype.js';
import type { Measure } from '../measures.js';
import type { ChunkResult } from '../solve-chunk.js';

interface MeasuresHeader {
  dtype: DType;
  d: number;
  ids: string[];
  n: number[];
  weighted: boolean[];
}

/** [u32 header length][header JSON][padding to 8][x, then w when weighted, per measure, in dtype]. */
export function encodeMeasures(ms: readonly Measure[], dtype: DType): Buffer {
  const header: MeasuresHeader = { dtype, d: ms[0]!.d, ids: ms.map((m) => m.id), n: ms.map((m) => m.n), weighted: ms.map((m) => m.w !== null) };
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const start = Math.ceil((4 + head.length) / 8) * 8;
  const parts: Buffer[] = [Buffer.alloc(4), head, Buffer.alloc(start - 4 - head.length)];
  parts[0]!.writeUInt32LE(head.length, 0);
  for (const m of ms) {
    parts.push(Buffer.from(m.x.buffer, m.x.byteOffset, m.x.byteLength));
    if (m.w) parts.push(Buffer.from(m.w.buffer, m.w.byteOffset, m.w.byteLength));
  }
  return Buffer.concat(parts);
}

export function decodeMeasures(buf: Buffer): Measure[] {
  const len = buf.readUInt32LE(0);
  const h = JSON.parse(buf.subarray(4, 4 + len).toString('utf8')) as MeasuresHeader;
  const size = h.dtype === 'float32' ? 4 : 8;
  // One aligned copy of the data; every measure is a view into it.
  const start = Math.ceil((4 + len) / 8) * 8;
  const data = new Uint8Array(buf.subarray(start)).buffer;
  const view = (off: number, count: number) => (h.dtype === 'float32' ? new Float32Array(data, off, count) : new Float64Array(data, off, count));
  const out: Measure[] = [];
  let off = 0;
  for (let k = 0; k < h.ids.length; k++) {
    const n = h.n[k]!;
    const x = view(off, n * h.d);
    off += n * h.d * size;
    let w = null;
    if (h.weighted[k]) {
      w = view(off, n);
      off += n * size;
    }
    out.push({ id: h.ids[k]!, n, d: h.d, x, w });
  }
  return out;
}

const STATUS: readonly Status[] = ['converged', 'max_iter', 'diverged'];

/** [values f64 × B][nIter i32 × B][status u8 × B]. */
export function encodeResult(r: ChunkResult): Buffer {
  const B = r.values.length;
  const buf = Buffer.alloc(13 * B);
  Buffer.from(r.values.buffer, r.values.byteOffset, 8 * B).copy(buf, 0);
  Buffer.from(r.nIter.buffer, r.nIter.byteOffset, 4 * B).copy(buf, 8 * B);
  for (let t = 0; t < B; t++) buf[12 * B + t] = STATUS.indexOf(r.status[t]!);
  return buf;
}

export function decodeResult(buf: Buffer): ChunkResult {
  const B = buf.length / 13;
  const bytes = new Uint8Array(buf).buffer;
  return {
    values: new Float64Array(bytes, 0, B),
    nIter: new Int32Array(bytes, 8 * B, B),
    status: Array.from(new Uint8Array(bytes, 12 * B, B), (s) => STATUS[s]!),
  };
}

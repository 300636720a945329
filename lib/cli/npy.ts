// NumPy .npy files (format versions 1-3): float32 / float64 arrays in C order, read whole and written
// with a version-1 header, the subset the CLI's inputs and outputs need.
import { fail } from '../core/validate.js';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // "\x93NUMPY"

/** A decoded array: its shape and data (little-endian float32 or float64 in the file). */
export interface NpyArray {
  shape: number[];
  data: Float32Array | Float64Array;
}

/** Parses a .npy file's bytes; `name` (the file) prefixes every error. */
export function parseNpy(name: string, buf: Buffer): NpyArray {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) fail('ERR_OT_VALUE', `${name}: not a .npy file (no \\x93NUMPY magic)`);
  const major = buf[6]!;
  if (major < 1 || major > 3) fail('ERR_OT_VALUE', `${name}: unsupported .npy format version ${major}`);
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.subarray(start, start + headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail('ERR_OT_VALUE', `${name}: malformed .npy header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') fail('ERR_OT_VALUE', `${name}: Fortran-ordered arrays are not supported (save with np.ascontiguousarray)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const isF32 = descr === '<f4' || descr === '=f4' || descr === '|f4';
  const isF64 = descr === '<f8' || descr === '=f8' || descr === '|f8';
  if (!isF32 && !isF64) fail('ERR_OT_VALUE', `${name}: dtype '${descr}' is not supported (expected little-endian float32 '<f4' or float64 '<f8')`);
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = count * (isF32 ? 4 : 8);
  const off = start + headerLen;
  if (buf.length - off !== bytes) fail('ERR_OT_VALUE', `${name}: shape (${shape.join(', ')}) needs ${bytes} data bytes but the file has ${buf.length - off}`);
  // Copy: the data offset need not be aligned for a typed-array view.
  const body = new Uint8Array(buf.subarray(off, off + bytes));
  const data = isF32 ? new Float32Array(body.buffer, 0, count) : new Float64Array(body.buffer, 0, count);
  return { shape, data };
}

/** A version-1 .npy file of a C-ordered float64 array. */
export function encodeNpy(shape: readonly number[], data: Float64Array): Buffer {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${dims}), }`;
  // Pad so the data starts on a 64-byte boundary, header ending in '\n' (the format's rule).
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10);
  MAGIC.copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

// Zeroed scratch for the dual kernels' small gradient outputs, carved from shared slabs: a fresh
// Float64Array of a few hundred entries costs about as much as the whole n = 100 kernel (V8 keeps it
// off the JS heap), while a view of a slab is nearly free. Regions are handed out once, never reused.
import { allocate, type DType, type FloatArray } from '../../tensor/dtype.js';

const SLAB_BYTES = 64 * 1024;
/** Larger requests get their own array, so one kept result never pins much more than itself. */
const MAX_BYTES = 4 * 1024;

const slabs: Record<DType, { buffer: ArrayBuffer; used: number } | null> = { float32: null, float64: null };

/**
 * A zero-filled array of `n` entries of `dtype` that no other caller ever sees; small ones are views of
 * a shared slab (disjoint regions: autograd tells them apart by Tensor.storageSpan, so a leaf may adopt
 * one as its .grad; a kept one pins its 64 KiB slab).
 * @example const out = slabArray('float64', 200);
 */
export function slabArray(dtype: DType, n: number): FloatArray {
  const width = dtype === 'float64' ? 8 : 4;
  const bytes = n * width;
  if (bytes > MAX_BYTES) return allocate(dtype, n);
  let slab = slabs[dtype];
  if (slab === null || slab.used + bytes > SLAB_BYTES) {
    slab = { buffer: new ArrayBuffer(SLAB_BYTES), used: 0 };
    slabs[dtype] = slab;
  }
  const at = slab.used;
  slab.used += bytes;
  return dtype === 'float64' ? new Float64Array(slab.buffer, at, n) : new Float32Array(slab.buffer, at, n);
}

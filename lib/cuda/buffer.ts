// GPU memory from TypeScript: availability, and moving typed arrays to and from CudaBuffers.
import type { FloatArray } from '../tensor/dtype.js';
import { fail } from '../core/validate.js';
import { nativeCuda, type CudaBuffer, type CudaDType } from './native-cuda.js';

type HostArray = FloatArray | Int32Array | Uint8Array;
const dtypes: readonly CudaDType[] = ['float32', 'float64', 'int32', 'uint8'];

/**
 * True when the CUDA kernels are compiled in and a GPU is usable now (OT_DEVICE=cpu hides it).
 * @example if (ot.cuda.cudaAvailable()) console.log('kernels run on the GPU');
 */
export function cudaAvailable(): boolean {
  return nativeCuda.cudaAvailable();
}

/** True for a CudaBuffer made by this library (freed or not). */
export function isCudaBuffer(v: unknown): v is CudaBuffer {
  const cls = nativeCuda.CudaBuffer;
  return cls !== undefined && v instanceof cls;
}

function checkHost(fn: string, data: unknown): HostArray {
  if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array || data instanceof Uint8Array))
    fail('ERR_OT_ARG', `${fn}: data must be a Float32Array, Float64Array, Int32Array or Uint8Array`);
  return data;
}

function checkBuffer(fn: string, buf: unknown): CudaBuffer {
  if (!isCudaBuffer(buf)) {
    // Without a GPU no buffer can exist: say so rather than blaming the argument.
    if (!cudaAvailable()) fail('ERR_OT_DEVICE', `${fn}: no CUDA device available`);
    fail('ERR_OT_ARG', `${fn}: buffer must be a CudaBuffer`);
  }
  if (buf.freed) fail('ERR_OT_ARG', `${fn}: buffer was freed`);
  return buf;
}

/**
 * Copies a typed array into new GPU memory of the same dtype.
 * @example const buf = ot.cuda.toDevice(new Float32Array([1, 2, 3])); // buf.length === 3
 */
export function toDevice(data: HostArray): CudaBuffer {
  return nativeCuda.cudaUpload(checkHost('toDevice', data));
}
/** Promise form of {@link toDevice}, off the event loop. */
export function toDeviceAsync(data: HostArray): Promise<CudaBuffer> {
  try {
    return nativeCuda.cudaUploadAsync(checkHost('toDeviceAsync', data));
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Copies a CudaBuffer back into a new typed array of its dtype.
 * @example const host = ot.cuda.fromDevice(buf) as Float32Array;
 */
export function fromDevice(buf: CudaBuffer): HostArray {
  return nativeCuda.cudaDownload(checkBuffer('fromDevice', buf));
}
/** Promise form of {@link fromDevice}. */
export function fromDeviceAsync(buf: CudaBuffer): Promise<HostArray> {
  try {
    return nativeCuda.cudaDownloadAsync(checkBuffer('fromDeviceAsync', buf));
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Allocates zero-filled GPU memory for `length` elements.
 * @example const buf = ot.cuda.allocDevice(1024, 'float64');
 */
export function allocDevice(length: number, dtype: CudaDType = 'float32'): CudaBuffer {
  if (!Number.isInteger(length) || length < 0) fail('ERR_OT_ARG', `allocDevice: length must be a non-negative integer, got ${length}`);
  if (!dtypes.includes(dtype)) fail('ERR_OT_DTYPE', `allocDevice: dtype must be one of ${dtypes.join(', ')}, got ${JSON.stringify(dtype)}`);
  return nativeCuda.cudaAlloc(length, dtype);
}

// Storage moves of cuda tensors: the availability check, uploads and downloads of whole tensors
// (through lib/cuda/native-cuda.ts, the addon's CudaBuffer entry points).
import { nativeCuda, type CudaBuffer } from '../cuda/native-cuda.js';
import { fail } from '../core/validate.js';
import type { DType, FloatArray } from './dtype.js';

export type { CudaBuffer };

/** Throws ERR_OT_DEVICE unless a GPU is usable now (the CUDA kernels are built in and OT_DEVICE is not 'cpu'). */
export function requireCuda(fn: string): void {
  if (!nativeCuda.cudaAvailable()) {
    fail('ERR_OT_DEVICE', `${fn}: no CUDA device available (this build or machine has no usable GPU, or OT_DEVICE=cpu; see ot.backend())`);
  }
}

/** True for a float CudaBuffer made by the addon (the only device storage a tensor accepts). */
export function isFloatBuffer(v: unknown): v is CudaBuffer {
  const cls = nativeCuda.CudaBuffer;
  return cls !== undefined && v instanceof cls && (v.dtype === 'float32' || v.dtype === 'float64');
}

/** New GPU memory holding a copy of `host`. */
export function upload(host: FloatArray): CudaBuffer {
  return nativeCuda.cudaUpload(host);
}

/** A new host array holding a copy of `buf`. */
export function download(buf: CudaBuffer): FloatArray {
  if (buf.freed) fail('ERR_OT_DEVICE', 'tensor: its GPU buffer was freed');
  return nativeCuda.cudaDownload(buf) as FloatArray;
}

export function bufferDType(buf: CudaBuffer): DType {
  return buf.dtype === 'float32' ? 'float32' : 'float64';
}

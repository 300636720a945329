// What the facades' cuda branches share: the device a call runs on (one device per call), kernel
// operands of tensors, results wrapped as cuda tensors, and abort handling for GPU kernels.
import { Tensor } from '../tensor/tensor.js';
import type { DType, FloatArray } from '../tensor/dtype.js';
import { fail } from '../core/validate.js';
import type { CudaBuffer, CudaOperand } from './native-cuda.js';

/** s · (a gradient a GPU kernel produced) as a cuda tensor: its own buffer when s is 1 (buffers are never written in place). */
export function scaledBuffer(buf: CudaBuffer | null, s: number, shape: readonly number[]): Tensor | null {
  if (buf === null) return null;
  const g = new Tensor(buf, shape);
  return s === 1 ? g : g.mul(s);
}

/** Host values to check without a copy from the GPU: always for CPU tensors, the cached copy (or null) for cuda ones. */
export function checkableValues(t: Tensor): FloatArray | null {
  return t.hostCopy();
}

/** A kernel operand: the GPU buffer of a cuda tensor (uploaded on first use), the values of a CPU one. */
export function operand(t: Tensor): CudaOperand {
  return t.device === 'cuda' ? t.cudaBuffer() : t.data;
}

/**
 * The GPU buffer of an op's main array, which routes the call to the op's CUDA Job: a CPU tensor there
 * (plain arrays follow the call's device but are made on the host) is uploaded.
 */
export function mainBuffer(t: Tensor): CudaBuffer {
  return (t.device === 'cuda' ? t : t.to('cuda')).cudaBuffer();
}

/** operand() of t in `dtype` (converted on the host when it differs). */
export function operandAs(t: Tensor, dtype: DType): CudaOperand {
  return operand(t.dtype === dtype ? t : t.detach().to(dtype));
}

/** Host values as a cuda tensor (uploaded when a kernel first reads them). */
export function hostOnCuda(data: FloatArray, shape: readonly number[]): Tensor {
  return new Tensor(data, shape, { device: 'cuda' });
}

/** ERR_OT_DEVICE for a feature the GPU path lacks, saying what to do instead. */
export function notOnCuda(fn: string, what: string, instead: string): never {
  return fail('ERR_OT_DEVICE', `${fn}: ${what} is not available for cuda tensors; ${instead}`);
}

/**
 * The backward of a GPU op whose forward computed its input's gradient `grad`: grad times the cotangent
 * g (broadcast), in `dtype`. The common seed (all ones: .backward(), .sum().backward()) returns grad
 * itself, still on the GPU; any other seed scales on the host copy, as elementwise ops on cuda tensors do.
 */
export function scaledGrad(grad: Tensor, g: Tensor, dtype: DType): Tensor {
  const gd = g.data;
  for (let i = 0; i < gd.length; i++) if (gd[i] !== 1) return grad.mul(g.dtype === dtype ? g : g.to(dtype));
  return grad;
}

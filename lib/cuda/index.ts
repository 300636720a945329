// The CUDA device path: GPU buffers and the typed native kernel entry points (ot.cuda namespace).
export { cudaAvailable, isCudaBuffer, toDevice, toDeviceAsync, fromDevice, fromDeviceAsync, allocDevice } from './buffer.js';
export {
  nativeCuda,
  type NativeCuda,
  type CudaBuffer,
  type CudaDType,
  type CudaOperand,
  type CudaMetric,
  type CudaSinkhornOptions,
  type CudaSinkhornResult,
  type CudaSinkhornCotangents,
  type CudaAdjointResult,
  type CudaBatchOptions,
  type CudaBatchResult,
  type CudaDualNeeds,
  type CudaDualResult,
} from './native-cuda.js';

// The CUDA device path as users see it (ot.cuda): availability and GPU buffers; the kernels' raw entry
// points stay internal (lib/cuda/native-cuda.ts, used by lib/backend/cuda).
export { cudaAvailable, isCudaBuffer, toDevice, toDeviceAsync, fromDevice, fromDeviceAsync, allocDevice } from './buffer.js';
export type { CudaBuffer, CudaDType } from './native-cuda.js';

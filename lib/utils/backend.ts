// Introspection: what native code loaded and which devices it can use (ot.backend()).
import { addon } from '../native.js';

export interface CudaDevice {
  index: number;
  name: string;
  totalMemory: number;
  computeCapability: string;
  multiprocessors: number;
}
export interface BackendInfo {
  /** Always true: every numeric path runs in the native addon. */
  native: true;
  /** True when the addon was built with CUDA and at least one GPU is usable (and OT_DEVICE is not 'cpu'). */
  cuda: boolean;
  /** Whether the CUDA kernels were compiled into this build. */
  cudaCompiled: boolean;
  /** 'cpu' plus one entry per usable GPU. */
  devices: ({ type: 'cpu'; threads: number } | ({ type: 'cuda' } & CudaDevice))[];
  /** Worker threads the CPU kernels use (OT_NUM_THREADS overrides). */
  threads: number;
  /** Instruction set of the CPU kernels running in this process, picked at load (OT_ISA may lower it). */
  isa: CpuIsa;
}

/** The CPU kernel variants a build carries: AVX-512 (x86-64-v4), AVX2+FMA (x86-64-v3), baseline. */
export type CpuIsa = 'avx512' | 'avx2' | 'generic';

let cached: BackendInfo | null = null;

/** @example console.log(ot.backend()); // { native: true, cuda: false, devices: [{ type: 'cpu', threads: 2 }], threads: 2, isa: 'avx512' } */
export function backend(): BackendInfo {
  if (cached) return cached;
  const raw = addon.backendInfo() as { threads: number; isa: CpuIsa; cudaCompiled: boolean; cudaDevices: CudaDevice[] };
  const forcedCpu = process.env.OT_DEVICE === 'cpu';
  const gpus = forcedCpu ? [] : raw.cudaDevices;
  cached = {
    native: true,
    cuda: raw.cudaCompiled && gpus.length > 0,
    cudaCompiled: raw.cudaCompiled,
    devices: [{ type: 'cpu', threads: raw.threads }, ...gpus.map((d) => ({ type: 'cuda' as const, ...d }))],
    threads: raw.threads,
    isa: raw.isa,
  };
  return cached;
}

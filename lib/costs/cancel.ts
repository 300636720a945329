// Bridges an AbortSignal to the shared Int32Array flag that native kernels poll (CancelFlag).
import { OTError } from '../utils/errors.js';
import { fail, show } from '../utils/validate.js';

/**
 * Runs `start(flag)` with a cancellation flag raised when `signal` aborts; rejects with
 * ERR_OT_ABORTED at once if the signal has already fired.
 */
export async function withCancelFlag<T>(fn: string, signal: AbortSignal | undefined, start: (flag: Int32Array) => Promise<T>): Promise<T> {
  if (signal !== undefined && !(signal instanceof AbortSignal)) fail('ERR_OT_ARG', `${fn}: signal must be an AbortSignal, got ${show(signal)}`);
  if (signal?.aborted) throw new OTError(`${fn}: aborted by the caller's signal`, 'ERR_OT_ABORTED');
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const raise = (): void => void Atomics.store(flag, 0, 1);
  signal?.addEventListener('abort', raise, { once: true });
  try {
    return await start(flag);
  } finally {
    signal?.removeEventListener('abort', raise);
  }
}

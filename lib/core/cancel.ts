// Cancellation: bridges an AbortSignal to the shared Int32Array flag that native kernels poll
// (CancelFlag), and checks a signal around GPU kernels that cannot poll one.
import { OTError } from './errors.js';
import { fail, show } from './validate.js';

/** ERR_OT_ABORTED when `signal` has fired; ERR_OT_ARG when it is not an AbortSignal. */
export function throwIfAborted(fn: string, signal: AbortSignal | undefined): void {
  if (signal !== undefined && !(signal instanceof AbortSignal)) fail('ERR_OT_ARG', `${fn}: signal must be an AbortSignal, got ${show(signal)}`);
  if (signal?.aborted) throw new OTError(`${fn}: aborted by the caller's signal`, 'ERR_OT_ABORTED');
}

/**
 * Runs `start(flag)` with a cancellation flag raised when `signal` aborts; rejects with
 * ERR_OT_ABORTED at once if the signal has already fired.
 */
export async function withCancelFlag<T>(fn: string, signal: AbortSignal | undefined, start: (flag: Int32Array) => Promise<T>): Promise<T> {
  throwIfAborted(fn, signal);
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const raise = (): void => void Atomics.store(flag, 0, 1);
  signal?.addEventListener('abort', raise, { once: true });
  try {
    return await start(flag);
  } finally {
    signal?.removeEventListener('abort', raise);
  }
}

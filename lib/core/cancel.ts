// Cancellation: bridges an AbortSignal to the shared Int32Array flag that native kernels poll
// (CancelFlag), and checks a signal around GPU kernels that cannot poll one.
import { OTError } from './errors.js';
import { fail, show } from './validate.js';

/** ERR_OT_ABORTED when `signal` has fired; ERR_OT_ARG when it is not an AbortSignal. */
export function throwIfAborted(fn: string, signal: AbortSignal | undefined): void {
  if (signal !== undefined && !(signal instanceof AbortSignal)) fail('ERR_OT_ARG', `${fn}: signal must be an AbortSignal, got ${show(signal)}`);
  if (signal?.aborted) throw new OTError(`${fn}: aborted by the caller's signal`, 'ERR_OT_ABORTED');
}

// One 'abort' listener per signal, however many calls share it (more than 10 listeners make Node
// print MaxListenersExceededWarning): it runs the handlers of the calls in flight, and is removed
// when the last of them settles.
interface Listeners {
  handlers: Set<() => void>;
  listener: () => void;
}
const listeners = new WeakMap<AbortSignal, Listeners>();

function onAbort(signal: AbortSignal, handler: () => void): () => void {
  let entry = listeners.get(signal);
  if (entry === undefined) {
    const handlers = new Set<() => void>();
    const listener = (): void => {
      listeners.delete(signal);
      for (const h of handlers) h();
    };
    entry = { handlers, listener };
    listeners.set(signal, entry);
    signal.addEventListener('abort', listener, { once: true });
  }
  const mine = entry;
  mine.handlers.add(handler);
  return () => {
    mine.handlers.delete(handler);
    if (mine.handlers.size === 0 && listeners.get(signal) === mine) {
      listeners.delete(signal);
      signal.removeEventListener('abort', mine.listener);
    }
  };
}

/**
 * Runs `start(flag)` with a cancellation flag raised when `signal` aborts; rejects with
 * ERR_OT_ABORTED at once if the signal has already fired, and at once when it fires later, even
 * while the job still waits for a thread (the job itself then stops at its first check of the flag).
 */
export async function withCancelFlag<T>(fn: string, signal: AbortSignal | undefined, start: (flag: Int32Array) => Promise<T>): Promise<T> {
  throwIfAborted(fn, signal);
  const flag = new Int32Array(new SharedArrayBuffer(4));
  if (signal === undefined) return start(flag);
  let reject: (err: OTError) => void = () => {};
  const aborted = new Promise<never>((_, rej) => {
    reject = rej;
  });
  const remove = onAbort(signal, () => {
    Atomics.store(flag, 0, 1);
    reject(new OTError(`${fn}: aborted by the caller's signal`, 'ERR_OT_ABORTED'));
  });
  try {
    const job = start(flag);
    // Settled later (rejected with ERR_OT_ABORTED) when the abort won the race: not an unhandled rejection.
    job.catch(() => {});
    return await Promise.race([job, aborted]);
  } finally {
    remove();
  }
}

// OTError: the one error type the library throws or rejects with, carrying a stable `code`.

// Marks OTErrors of every copy of this module in the process: the ESM build and the CommonJS bundle each
// define the class, and the one addon creates its errors with whichever copy registered last.
const brand = Symbol.for('optimal-transport.OTError');

/** Stable error codes (see README "Errors"). */
export type OTErrorCode =
  | 'ERR_OT_SHAPE'
  | 'ERR_OT_VALUE'
  | 'ERR_OT_ARG'
  | 'ERR_OT_DTYPE'
  | 'ERR_OT_DEVICE'
  | 'ERR_OT_OOM'
  | 'ERR_OT_ABORTED';

/**
 * Error thrown (or rejected) for bad input, aborted calls and native failures.
 * @example
 * try { ot.solve(M, a, b, { reg: -1 }); } catch (e) { if (e instanceof ot.OTError) console.log(e.code); }
 */
export class OTError extends Error {
  /** Machine-readable reason, one of {@link OTErrorCode}. */
  readonly code: OTErrorCode;
  /** `options.cause`: the underlying error (e.g. the file system's), kept as Error's `cause`. */
  constructor(message: string, code: OTErrorCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OTError';
    this.code = code;
  }

  /** `e instanceof OTError` holds for an OTError made by either build (import or require) of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses keep the ordinary prototype check.
    if (this !== OTError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
  }
}
Object.defineProperty(OTError.prototype, brand, { value: true });

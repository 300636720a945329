// Argument validation shared by every public function, so messages read the same everywhere:
// "solve: a has 5 entries but M has 4 rows".
import { OTError, type OTErrorCode } from './errors.js';

export function fail(code: OTErrorCode, message: string): never {
  throw new OTError(message, code);
}

/** A value as messages show it: strings quoted (so '10' is not mistaken for 10), arrays and objects named. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return String(v);
}

/** Rejects option keys not in `allowed` (a typo in `maxIter` must not be silently ignored). */
export function checkOptions(fn: string, opts: object | undefined, allowed: readonly string[]): void {
  if (opts === undefined || opts === null) return;
  if (typeof opts !== 'object' || Array.isArray(opts)) fail('ERR_OT_ARG', `${fn}: options must be an object, got ${typeof opts}`);
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key)) {
      fail('ERR_OT_ARG', `${fn}: unknown option '${key}' (expected one of ${allowed.join(', ')})`);
    }
  }
}

export function checkPositive(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    fail('ERR_OT_VALUE', `${fn}: ${name} must be a finite number > 0, got ${show(v)}`);
  }
  return v;
}

export function checkInteger(fn: string, name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    fail('ERR_OT_ARG', `${fn}: ${name} must be an integer in [${lo}, ${hi}], got ${show(v)}`);
  }
  return v;
}

export function checkFiniteNumber(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail('ERR_OT_VALUE', `${fn}: ${name} must be a finite number, got ${show(v)}`);
  return v;
}

export function checkOneOf<T extends string>(fn: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail('ERR_OT_ARG', `${fn}: ${name} must be one of ${allowed.map((s) => `'${s}'`).join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

/**
 * First index of a non-finite entry, or -1. A first pass sums x − x (0 exactly for every finite x, NaN
 * otherwise) without a branch per entry, so the common all-finite case is one tight loop (optimiser steps
 * check every gradient this way).
 */
export function firstNonFinite(data: ArrayLike<number>): number {
  let acc = 0;
  for (let i = 0; i < data.length; i++) acc += data[i]! - data[i]!;
  if (acc === 0) return -1;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

export function checkFinite(fn: string, name: string, data: ArrayLike<number>): void {
  const i = firstNonFinite(data);
  if (i >= 0) fail('ERR_OT_VALUE', `${fn}: ${name} must be finite, but entry ${i} is ${data[i]}`);
}

export function checkNonNegative(fn: string, name: string, data: ArrayLike<number>): void {
  for (let i = 0; i < data.length; i++) {
    if (!(data[i]! >= 0)) fail('ERR_OT_VALUE', `${fn}: ${name} must be >= 0, but entry ${i} is ${data[i]}`);
  }
}

// Command-line flags of the benchmarks: boolean `--flag`s and `--name value` options.

/** Whether `--flag` was given. */
export function hasFlag(name: string): boolean {
  return process.argv.includes(name);
}

/** The word after `--name`, or undefined when the option is absent. */
export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * The number after `--name`, `dflt` when the option is absent; exits with a message when it is not a number.
 * @example
 *   const trials = numberArg('--trials', 10);
 */
export function numberArg(name: string, dflt: number): number {
  const s = argValue(name);
  if (s === undefined) return dflt;
  const v = Number(s);
  if (!Number.isFinite(v)) {
    console.error(`${name} must be a number, got '${s}'`);
    process.exit(2);
  }
  return v;
}

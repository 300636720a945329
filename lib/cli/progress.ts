// Progress on stderr: a cli-progress bar with ETA on a terminal, otherwise JSON lines
// {"done","total","elapsedSeconds","etaSeconds"} at most once a second and once at the end.
import { Presets, SingleBar } from 'cli-progress';
import type { JobProgress } from '../jobs/run.js';

export interface ProgressReporter {
  update(p: JobProgress): void;
  /** Ends the report, writing the last state (the JSON form always ends with one line). */
  stop(): void;
}

/** A reporter for `stream` (stderr): a bar when it is a TTY, JSON lines otherwise. */
export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  return stream.isTTY ? barReporter(label, stream) : jsonReporter(stream);
}

function barReporter(label: string, stream: NodeJS.WriteStream): ProgressReporter {
  const bar = new SingleBar({
    format: `${label} |{bar}| {percentage}% | {value}/{total} entries | {duration_formatted} elapsed | ETA {eta_formatted}`,
    stream, hideCursor: true, etaBuffer: 50,
  }, Presets.shades_classic);
  let started = false;
  return {
    update(p) {
      if (!started) {
        bar.start(p.total, p.done);
        started = true;
      } else bar.update(p.done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function jsonReporter(stream: NodeJS.WriteStream): ProgressReporter {
  let last: JobProgress | null = null;
  let lastWritten = -Infinity;
  let pending = false;
  const write = (p: JobProgress): void => {
    const round = (v: number): number => Math.round(v * 1000) / 1000;
    stream.write(`${JSON.stringify({ done: p.done, total: p.total, elapsedSeconds: round(p.elapsedSeconds), etaSeconds: p.etaSeconds === null ? null : round(p.etaSeconds) })}\n`);
    lastWritten = performance.now();
    pending = false;
  };
  return {
    update(p) {
      last = p;
      pending = true;
      if (p.done >= p.total || performance.now() - lastWritten >= 1000) write(p);
    },
    stop() {
      if (last && pending) write(last);
    },
  };
}

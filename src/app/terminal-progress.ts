// A progress line on stderr for long CLI runs (`taser simulate`, `taser preview`), only when stderr is a
// terminal: piped or redirected output stays byte-for-byte what the command prints, and logs get no \r noise.

/** Called by long work every few thousand items: what it is doing, how far it is, out of how many. */
export type ProgressFn = (phase: string, done: number, total?: number) => void;

export interface TerminalProgress {
  update: ProgressFn;
  /** Clears the line (call before printing results). */
  done(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

const CLEAR = '\r\x1b[K';

/** A progress line for `label`, or undefined when `stream` is not a terminal. Redrawn on each new phase, and at most every `everyMs` within one. */
export function terminalProgress(label: string, stream: ProgressStream = process.stderr, now: () => number = Date.now, everyMs = 200): TerminalProgress | undefined {
  if (!stream.isTTY) return undefined;
  let last = -Infinity;
  let lastPhase: string | undefined;
  let shown = false;
  return {
    update(phase, done, total) {
      const t = now();
      // A new phase is always shown; within one, at most every everyMs.
      if (phase === lastPhase && t - last < everyMs) return;
      last = t;
      lastPhase = phase;
      shown = true;
      const of = total ? ` of ${total.toLocaleString('en-US')} (${Math.min(100, Math.floor((done / total) * 100))}%)` : '';
      stream.write(`${CLEAR}${label}: ${phase} ${done.toLocaleString('en-US')}${of}`);
    },
    done() {
      if (shown) stream.write(CLEAR);
      shown = false;
    },
  };
}

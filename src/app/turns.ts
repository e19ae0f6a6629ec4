// A few continuations per turn of the event loop. Work that becomes ready all at once (a batch of interaction
// claims answered by one insertMany) would otherwise run back to back in one microtask drain, and every
// request that arrived meanwhile (Slack's acks) would wait for all of it; awaiting nextTurn() lets each turn
// serve the I/O that arrived before the next piece of that work runs.
let waiting: ((() => void) | undefined)[] = [];
let head = 0;

/** Callers resumed per turn: a few, so the turn stays short and the per-turn overhead is shared. */
export const PER_TURN = 8;

function release(): void {
  for (let n = 0; n < PER_TURN && head < waiting.length; n++) {
    const resolve = waiting[head];
    waiting[head++] = undefined;
    resolve?.();
  }
  if (head === waiting.length) {
    waiting = [];
    head = 0;
  } else setImmediate(release);
}

/** Resolves in a later turn of the event loop, in order, PER_TURN callers per turn. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    if (waiting.push(resolve) - head === 1) setImmediate(release);
  });
}

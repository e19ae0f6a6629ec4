// One continuation per turn of the event loop. Work that becomes ready all at once (a batch of interaction
// claims answered by one insertMany) would otherwise run back to back in one microtask drain, and every
// request that arrived meanwhile (Slack's acks) would wait for all of it; awaiting nextTurn() lets each turn
// serve the I/O that arrived before the next piece of that work runs.
let waiting: ((() => void) | undefined)[] = [];
let head = 0;

function release(): void {
  const resolve = waiting[head];
  waiting[head++] = undefined;
  if (head === waiting.length) {
    waiting = [];
    head = 0;
  } else setImmediate(release);
  resolve?.();
}

/** Resolves in a later turn of the event loop than any earlier caller's, one caller per turn. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    if (waiting.push(resolve) - head === 1) setImmediate(release);
  });
}

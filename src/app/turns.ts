// A few continuations per turn of the event loop. Work that becomes ready all at once (a batch of interaction
// claims answered by one insertMany) would otherwise run back to back in one microtask drain, and every
// request that arrived meanwhile (Slack's acks) would wait for all of it; awaiting nextTurn() lets each turn
// serve the I/O that arrived before the next piece of that work runs.
//
// New connections come first. libuv (1.45 and later: Node 20) accepts ONE connection per turn of the event
// loop, however many wait in the kernel's queue, so in a burst of new connections each one waits a whole turn,
// with whatever paced work that turn runs, before it is even accepted: with 8 handlers started a turn, 180
// new connections waited 180 handler-laden turns (about 6.5 ms each on a quiet 2-core machine: 1.2 s for the
// last). So while the HTTP server keeps accepting connections, paced work waits, and the turns stay as short
// as a bare server's: it looks again a millisecond later (the loop sleeps in its poll for I/O meanwhile, it
// does not spin) and goes on once a look finds no connection accepted since the one before. It waits at most
// MAX_DEFER_LOOKS looks in a row and then goes on for as many turns without waiting, so a flood of new
// connections slows the handlers at most by half and never starves them.
//
// Slack requests acknowledged at the edge count as arrivals too: a burst of them on warm keep-alive
// connections reaches the server over several turns, and each turn that also started PER_TURN handlers (about
// a millisecond of CPU each) made the next acks wait for them. Slack needs the ack within 3 s; the handlers
// answer through response_url, which stays valid for 30 minutes.

/** Callers resumed per turn: a few, so the turn stays short and the per-turn overhead is shared. */
export const PER_TURN = 8;
/** Looks in a row (each 1 ms or more apart) paced work waits for arriving connections at most. */
export const MAX_DEFER_LOOKS = 1_000;

let arrivals = 0;

/** Called for every connection the HTTP server accepts and every Slack request the edge acknowledges. */
export function noteArrival(): void {
  arrivals++;
}

/** One queue's pacing: how much of its work may run this turn, and when to look again. */
export class TurnBudget {
  private seen = arrivals;
  private deferred = 0;
  private owed = 0;

  /** Callers this queue may start now: none while connections or Slack requests arrive (within the bounds above), else PER_TURN. */
  take(): number {
    const arrived = arrivals !== this.seen;
    this.seen = arrivals;
    if (this.owed > 0) {
      this.owed--;
      return PER_TURN;
    }
    if (!arrived) {
      this.deferred = 0;
      return PER_TURN;
    }
    if (++this.deferred <= MAX_DEFER_LOOKS) return 0;
    this.owed = MAX_DEFER_LOOKS - 1; // this look is the first of them
    this.deferred = 0;
    return PER_TURN;
  }

  /** Runs `fn` in the next turn, or a millisecond later while this queue waits for arrivals. */
  later(fn: () => void): void {
    if (this.deferred > 0) setTimeout(fn, 1);
    else setImmediate(fn);
  }
}

let waiting: ((() => void) | undefined)[] = [];
let head = 0;
const budget = new TurnBudget();

function release(): void {
  const n = budget.take();
  for (let i = 0; i < n && head < waiting.length; i++) {
    const resolve = waiting[head];
    waiting[head++] = undefined;
    resolve?.();
  }
  if (head === waiting.length) {
    waiting = [];
    head = 0;
  } else budget.later(release);
}

/** Resolves in a later turn of the event loop, in order, at most PER_TURN callers per turn (none while connections or Slack requests arrive). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    if (waiting.push(resolve) - head === 1) setImmediate(release);
  });
}

// Readiness without waiting on the database: a ping runs in the background every intervalMs with a deadline,
// and /readyz and the taser_ready gauge read its last answer. A stalled server makes taser "not ready"
// within intervalMs + timeoutMs, and a request for readiness never waits on it.
import type { Database } from './mongo.js';

export interface DatabaseHealthState {
  /** The last ping answered within its deadline, and not longer ago than staleAfterMs. */
  ready: boolean;
  /** When the last ping answered in time (ISO 8601), if ever. */
  lastOkAt?: string;
  /** Milliseconds the last successful ping took. */
  latencyMs?: number;
  /** Why the last ping failed, if it did. */
  error?: string;
}

export interface DatabaseHealthOptions {
  intervalMs?: number;
  /** Deadline of one ping. */
  timeoutMs?: number;
  /** Called after every check (e.g. to set a gauge). */
  onCheck?: (state: DatabaseHealthState) => void;
}

export class DatabaseHealth {
  private lastOk = 0;
  private latency: number | undefined;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly database: Pick<Database, 'db'>,
    private readonly options: DatabaseHealthOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 2_000;
  }

  /** Checks once now (awaited: start-up has just connected, so this is quick), then every intervalMs. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  state(now = Date.now()): DatabaseHealthState {
    // A ping stuck past its deadline leaves the last answer standing: a stale one is not ready either.
    const fresh = this.lastOk > 0 && now - this.lastOk <= this.intervalMs + 2 * this.timeoutMs;
    return {
      ready: fresh && this.lastError === undefined,
      ...(this.lastOk ? { lastOkAt: new Date(this.lastOk).toISOString(), latencyMs: this.latency } : {}),
      ...(this.lastError ? { error: this.lastError } : {}),
    };
  }

  private async check(): Promise<void> {
    // One ping at a time: a stalled server must not collect a ping per interval.
    if (this.inFlight) return;
    this.inFlight = true;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.database.db.command({ ping: 1 }),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer to ping within ${this.timeoutMs} ms`)), this.timeoutMs))),
      ]);
      this.lastOk = Date.now();
      this.latency = this.lastOk - started;
      this.lastError = undefined;
    } catch (err) {
      this.lastError = (err as Error).message;
    } finally {
      clearTimeout(timer);
      this.inFlight = false;
      this.options.onCheck?.(this.state());
    }
  }
}

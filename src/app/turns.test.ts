import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_DEFER_LOOKS, nextTurn, noteArrival, PER_TURN, TurnBudget } from './turns.js';

describe('nextTurn', () => {
  it('resumes its callers in order, a few per turn of the event loop, so I/O that arrives is served between them', async () => {
    // A server whose answers can only be read in a poll phase: if the callers ran back to back, every
    // answer would come after all of them.
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const order: string[] = [];
      const answered = fetch(url).then(async (r) => {
        await r.text();
        order.push('io');
      });
      const busy = (ms: number) => {
        const until = performance.now() + ms;
        while (performance.now() < until);
      };
      const callers = Array.from({ length: 200 }, (_, i) =>
        nextTurn().then(() => {
          order.push(`c${i}`);
          busy(2);
        }),
      );
      await Promise.all([...callers, answered]);
      const callersOnly = order.filter((o) => o !== 'io');
      expect(callersOnly).toEqual(Array.from({ length: 200 }, (_, i) => `c${i}`));
      // 400 ms of callers' work: the answer got in long before the last of them.
      expect(order.indexOf('io')).toBeLessThan(200 - 5 * PER_TURN);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('TurnBudget', () => {
  it('gives nothing while connections are being accepted, PER_TURN once a look finds none since the last', () => {
    const budget = new TurnBudget();
    expect(budget.take()).toBe(PER_TURN);
    noteArrival();
    expect(budget.take()).toBe(0);
    noteArrival();
    noteArrival();
    expect(budget.take()).toBe(0);
    expect(budget.take()).toBe(PER_TURN);
  });

  it('waits at most MAX_DEFER_LOOKS looks in a row, then as many without waiting: a flood of connections cannot starve the work', () => {
    const budget = new TurnBudget();
    const looks = (count: number) =>
      Array.from({ length: count }, () => {
        noteArrival();
        return budget.take();
      });
    expect(looks(MAX_DEFER_LOOKS).every((n) => n === 0)).toBe(true);
    expect(looks(MAX_DEFER_LOOKS).every((n) => n === PER_TURN)).toBe(true);
    expect(looks(1)).toEqual([0]);
  });

  it('each queue keeps its own count: two queues looking in the same turn both wait', () => {
    const a = new TurnBudget();
    const b = new TurnBudget();
    noteArrival();
    expect([a.take(), b.take()]).toEqual([0, 0]);
  });
});

import { describe, expect, it } from 'vitest';
import { whileWriting } from './ingest.js';

const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('whileWriting', () => {
  it('runs the work after a turn of the loop, while the write is still pending, and gives the write its result', async () => {
    const order: string[] = [];
    // What the driver does in microtasks before the command is on the wire comes first.
    const writing = Promise.resolve()
      .then(() => order.push('sent'))
      .then(() => later(30, 'written'))
      .then((v) => (order.push('written'), v));
    const result = await whileWriting(writing, () => order.push('meanwhile'));
    expect(result).toBe('written');
    expect(order).toEqual(['sent', 'meanwhile', 'written']);
  });

  it('passes a write that fails before the work runs on to the caller, never as an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let ran = false;
      await expect(whileWriting(Promise.reject(new Error('log write failed')), () => (ran = true))).rejects.toThrow('log write failed');
      expect(ran).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('leaves a failure of the work to the caller (who does it again) and still gives the write', async () => {
    await expect(whileWriting(later(5, 7), () => { throw new Error('prepare failed'); })).resolves.toBe(7);
  });

  it('without work, is the write itself', async () => {
    await expect(whileWriting(later(1, 'x'))).resolves.toBe('x');
  });
});

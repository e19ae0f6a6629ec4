import { describe, expect, it } from 'vitest';
import { caseChannelName, MAX_CHANNEL_NAME, slugOf } from './names.js';
import { compareTs } from './backfill.js';
import { entriesOfEvent, entriesOfMessage } from './entry.js';

describe('case channel names', () => {
  it('is case-<number>-<slug>: lower-case, Slack-legal, accents dropped, no dash at the ends', () => {
    expect(caseChannelName(12, 'Phishing: CEO wire-transfer request!')).toBe('case-12-phishing-ceo-wire-transfer-request');
    expect(slugOf('  Ünïcödé  — café_au_lait  ')).toBe('unicode-cafe_au_lait');
    expect(caseChannelName(3, '!!!')).toBe('case-3');
  });

  it('stays within 80 characters, suffix included', () => {
    const long = 'word '.repeat(40);
    for (const n of [1, 2, 37, 1000]) {
      const name = caseChannelName(123456, long, n);
      expect(name.length).toBeLessThanOrEqual(MAX_CHANNEL_NAME);
      expect(name).toMatch(/^[a-z0-9_-]+$/);
      expect(name).not.toMatch(/--/);
      if (n > 1) expect(name.endsWith(`-${n}`)).toBe(true);
    }
  });
});

describe('channel log entries', () => {
  it('keys an entry on channel, ts and kind; joins and leaves are their own kinds', () => {
    expect(entriesOfMessage('C1', { ts: '1.000001', user: 'U1', text: 'hi' }, 'event')).toEqual([{ key: 'C1:1.000001:message', kind: 'message', ts: '1.000001', channel: 'C1', user: 'U1', text: 'hi', source: 'event' }]);
    expect(entriesOfMessage('C1', { ts: '2.0', user: 'U1', subtype: 'channel_join' }, 'event')[0]!.kind).toBe('join');
    expect(entriesOfMessage('C1', { ts: '2.0', user: 'U1', subtype: 'channel_leave' }, 'event')[0]!.key).toBe('C1:2.0:leave');
  });

  it('ignores a parent reply-count change, and refuses an event without a channel', () => {
    const same = { ts: '1.0', user: 'U1', text: 'x' };
    expect(entriesOfEvent({ type: 'message', subtype: 'message_changed', channel: 'C1', ts: '3.0', message: { ...same, reply_count: 2 }, previous_message: same })).toEqual({ entries: [] });
    expect(entriesOfEvent({ type: 'message', ts: '1.0', text: 'x' })).toMatchObject({ invalid: expect.stringContaining('channel') });
  });

  it('a backfilled edited message also yields its edit, keyed like the live edit', () => {
    const live = entriesOfEvent({ type: 'message', subtype: 'message_changed', channel: 'C1', ts: '9.0', message: { ts: '1.0', user: 'U1', text: 'b', edited: { user: 'U1', ts: '5.0' } }, previous_message: { ts: '1.0', user: 'U1', text: 'a' } });
    const backfilled = entriesOfMessage('C1', { ts: '1.0', user: 'U1', text: 'b', edited: { user: 'U1', ts: '5.0' } }, 'backfill');
    expect('entries' in live && live.entries[0]!.key).toBe('C1:5.0:edit');
    expect(backfilled.map((e) => e.key)).toEqual(['C1:1.0:message', 'C1:5.0:edit']);
  });

  it('orders Slack ts numerically', () => {
    expect(['10.5', '9.000002', '9.000010', '9.1'].sort(compareTs)).toEqual(['9.000002', '9.000010', '9.1', '10.5']);
  });
});

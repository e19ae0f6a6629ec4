import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { verifyWebhook, webhookAuthSchema } from './webhook-auth.js';

const hmac = webhookAuthSchema.parse({ type: 'hmac', secretEnv: 'HOOK_SECRET' });
const bearer = webhookAuthSchema.parse({ type: 'bearer', tokenEnv: 'HOOK_TOKEN' });
const body = Buffer.from('{"id":"1"}');
const now = 1_700_000_000_000;

function sign(secret: string, ts: number, raw: Buffer) {
  // Computed here independently of the code under test.
  return 'sha256=' + createHmac('sha256', secret).update(`${ts}.${raw.toString()}`).digest('hex');
}

describe('webhook authentication', () => {
  it('accepts a correct HMAC signature within the tolerance', () => {
    const ts = now / 1000 - 100;
    expect(verifyWebhook(hmac, 's3', { 'x-taser-signature': sign('s3', ts, body), 'x-taser-timestamp': String(ts) }, body, now)).toEqual({ ok: true });
  });

  it('rejects forged, stale, future and missing signatures', () => {
    const ts = now / 1000;
    const forged = verifyWebhook(hmac, 's3', { 'x-taser-signature': sign('other', ts, body), 'x-taser-timestamp': String(ts) }, body, now);
    expect(forged).toEqual({ ok: false, reason: 'signature does not match' });
    const stale = verifyWebhook(hmac, 's3', { 'x-taser-signature': sign('s3', ts - 301, body), 'x-taser-timestamp': String(ts - 301) }, body, now);
    expect(stale.ok).toBe(false);
    const future = verifyWebhook(hmac, 's3', { 'x-taser-signature': sign('s3', ts + 400, body), 'x-taser-timestamp': String(ts + 400) }, body, now);
    expect(future.ok).toBe(false);
    expect(verifyWebhook(hmac, 's3', { 'x-taser-timestamp': String(ts) }, body, now)).toEqual({ ok: false, reason: 'missing x-taser-signature header' });
    const tampered = verifyWebhook(hmac, 's3', { 'x-taser-signature': sign('s3', ts, body), 'x-taser-timestamp': String(ts) }, Buffer.from('{"id":"2"}'), now);
    expect(tampered.ok).toBe(false);
  });

  it('checks bearer tokens', () => {
    expect(verifyWebhook(bearer, 'tok', { authorization: 'Bearer tok' }, body)).toEqual({ ok: true });
    expect(verifyWebhook(bearer, 'tok', { authorization: 'Bearer tok2' }, body).ok).toBe(false);
    expect(verifyWebhook(bearer, 'tok', {}, body).ok).toBe(false);
  });

  it('refuses an auth config without a secret variable name', () => {
    expect(webhookAuthSchema.safeParse({ type: 'hmac' }).success).toBe(false);
    expect(webhookAuthSchema.safeParse({ type: 'bearer', tokenEnv: 'lower' }).success).toBe(false);
  });
});

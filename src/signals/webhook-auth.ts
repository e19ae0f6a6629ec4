// Authentication of signal webhooks, set per source in the config file. Fail closed: a source without
// authentication is a configuration error, never an open endpoint.
//
// hmac:   the sender computes hex(HMAC-SHA256(secret, TIMESTAMP + "." + RAW_BODY)) and sends it as
//         `<signatureHeader>: sha256=<hex>` with `<timestampHeader>: <unix seconds>`; the timestamp must be
//         within `toleranceSec` of our clock (both directions), which stops replays of old requests.
// bearer: `Authorization: Bearer <token>` (for senders that can only set a static header, e.g. Okta hooks).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { readSecret, type Env } from '../app/secrets.js';

const envName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'the name of an environment variable holding the secret, e.g. OKTA_HOOK_TOKEN');

export const webhookAuthSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hmac'),
    secretEnv: envName,
    signatureHeader: z.string().default('x-taser-signature'),
    timestampHeader: z.string().default('x-taser-timestamp'),
    toleranceSec: z.number().int().positive().default(300),
  }),
  z.strictObject({
    type: z.literal('bearer'),
    tokenEnv: envName,
  }),
]);
export type WebhookAuthConfig = z.infer<typeof webhookAuthSchema>;

export type AuthResult = { ok: true } | { ok: false; reason: string };

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  // Compare equal-length buffers so timing does not reveal the expected value's length either.
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

export function hmacSignature(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Resolves the secret once at start: a missing secret is a start-up error naming the variable. */
export function resolveAuthSecret(config: WebhookAuthConfig, env: Env): string | undefined {
  return readSecret(env, config.type === 'hmac' ? config.secretEnv : config.tokenEnv);
}

export function verifyWebhook(config: WebhookAuthConfig, secret: string, headers: IncomingHttpHeaders, rawBody: Buffer, nowMs = Date.now()): AuthResult {
  if (config.type === 'bearer') {
    const auth = header(headers, 'authorization');
    if (!auth) return { ok: false, reason: 'missing Authorization header' };
    const match = /^Bearer\s+(.+)$/i.exec(auth);
    if (!match || !safeEqual(match[1]!.trim(), secret)) return { ok: false, reason: 'wrong bearer token' };
    return { ok: true };
  }
  const signature = header(headers, config.signatureHeader);
  const timestamp = header(headers, config.timestampHeader);
  if (!signature) return { ok: false, reason: `missing ${config.signatureHeader} header` };
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: `missing or malformed ${config.timestampHeader} header (unix seconds)` };
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > config.toleranceSec) return { ok: false, reason: `timestamp is ${Math.round(skew)} s away from now (tolerance ${config.toleranceSec} s)` };
  if (!safeEqual(signature, hmacSignature(secret, timestamp, rawBody))) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}

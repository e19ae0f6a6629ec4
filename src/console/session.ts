// Console sessions: a signed cookie, no server-side state (every replica can check it). The payload is
// base64url JSON, the signature HMAC-SHA256 over it with console.sessionSecretEnv; expiry is inside the signed
// payload, so a stolen cookie is good until then (keep console.sessionHours short) and sign-out clears it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';

export const SESSION_COOKIE = 'taser_session';

const sessionSchema = z.strictObject({
  /** Slack user id: the ACL groups are checked against it, as for Slack commands. */
  sub: z.string().regex(/^[UW][A-Z0-9]+$/),
  name: z.string().max(200),
  email: z.string().max(320).optional(),
  /** How the user signed in. */
  via: z.enum(['slack', 'proxy']),
  /** The synchronizer CSRF token every change must carry (csrf.ts). */
  csrf: z.string().min(16),
  exp: z.number().int(),
});
export type Session = z.infer<typeof sessionSchema>;

export class SessionCodec {
  constructor(
    private readonly secret: string,
    private readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new session for a signed-in user (a fresh CSRF token each time). */
  create(user: Pick<Session, 'sub' | 'name' | 'email' | 'via'>): Session {
    return { ...user, csrf: randomBytes(24).toString('base64url'), exp: Math.floor((this.now() + this.lifetimeMs) / 1000) };
  }

  encode(payload: unknown): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  /** The payload when the signature is right and it has not expired; otherwise undefined. */
  decodeRaw(value: string | undefined): Record<string, unknown> | undefined {
    if (!value) return undefined;
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const body = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.sign(body), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (typeof payload !== 'object' || payload === null) return undefined;
    const exp = (payload as { exp?: unknown }).exp;
    if (typeof exp !== 'number' || exp * 1000 <= this.now()) return undefined;
    return payload as Record<string, unknown>;
  }

  decode(value: string | undefined): Session | undefined {
    const parsed = sessionSchema.safeParse(this.decodeRaw(value));
    return parsed.success ? parsed.data : undefined;
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export interface CookieOptions {
  secure: boolean;
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  path?: string;
}

/** Adds a Set-Cookie header (HttpOnly, SameSite=Lax; Secure when the console is served over https). */
export function setCookie(res: ServerResponse, name: string, value: string, options: CookieOptions): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${options.path ?? '/ui'}`, `Max-Age=${options.maxAge}`, 'HttpOnly', 'SameSite=Lax'];
  if (options.secure) parts.push('Secure');
  const existing = res.getHeader('set-cookie');
  const list = Array.isArray(existing) ? existing : existing === undefined ? [] : [String(existing)];
  res.setHeader('set-cookie', [...list, parts.join('; ')]);
}

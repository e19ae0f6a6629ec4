// Who is asking: the signed session cookie, or (behind a company SSO proxy) the proxy's e-mail header, honoured
// only from the configured proxy addresses and mapped to a Slack user by e-mail. Either way the user is a Slack
// user id, checked against the same ACL groups as Slack commands.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../app/logger.js';
import type { AccessControl } from '../plugins/types.js';
import { isProxyAddress, type ConsoleSettings } from './config.js';
import { readCookie, SESSION_COOKIE, SessionCodec, setCookie, type Session } from './session.js';

const EMAIL_CACHE_MS = 5 * 60_000;

export class ConsoleAuth {
  readonly codec: SessionCodec;
  private readonly emails = new Map<string, { user?: { id: string; name: string }; until: number }>();

  constructor(
    private readonly settings: ConsoleSettings,
    private readonly deps: { access: AccessControl; admins: () => readonly string[]; slack: WebClient; logger: Logger },
  ) {
    this.codec = new SessionCodec(settings.sessionSecret, settings.sessionMs);
  }

  get secureCookies(): boolean {
    return this.settings.baseUrl?.protocol === 'https:';
  }

  /** The request's session; in trusted-header mode one is made (and set as a cookie) for the proxy's user. */
  async session(req: IncomingMessage, res: ServerResponse): Promise<Session | undefined> {
    const fromCookie = this.codec.decode(readCookie(req, SESSION_COOKIE));
    const proxy = this.settings.trustedProxy;
    if (!proxy) return fromCookie;
    const header = req.headers[proxy.header];
    if (typeof header !== 'string' || !header) return fromCookie;
    if (!isProxyAddress(proxy.addresses, req.socket.remoteAddress)) {
      this.deps.logger.warn({ audit: 'console_proxy_header_ignored', remote: req.socket.remoteAddress, header: proxy.header }, 'console: trusted header from an address that is not a configured proxy; ignored');
      return fromCookie;
    }
    const email = header.trim().toLowerCase();
    if (fromCookie?.via === 'proxy' && fromCookie.email === email) return fromCookie;
    const user = await this.userByEmail(email);
    if (!user) {
      this.deps.logger.warn({ audit: 'console_proxy_user_unknown', email }, 'console: the proxy named an e-mail no Slack user has');
      return undefined;
    }
    const session = this.codec.create({ sub: user.id, name: user.name, email, via: 'proxy' });
    this.signIn(res, session);
    this.deps.logger.info({ audit: 'console_sign_in', user: user.id, via: 'proxy' }, 'console sign-in');
    return session;
  }

  // Path=/ so that the console's browser code can call /api/v1 with the session (api-session.ts); a cookie of
  // an older release (Path=/ui) is cleared, or it would shadow the new one under /ui.
  signIn(res: ServerResponse, session: Session): void {
    setCookie(res, SESSION_COOKIE, '', { secure: this.secureCookies, maxAge: 0, path: '/ui' });
    setCookie(res, SESSION_COOKIE, this.codec.encode(session), { secure: this.secureCookies, maxAge: Math.floor(this.settings.sessionMs / 1000), path: '/' });
  }

  signOut(res: ServerResponse): void {
    setCookie(res, SESSION_COOKIE, '', { secure: this.secureCookies, maxAge: 0, path: '/ui' });
    setCookie(res, SESSION_COOKIE, '', { secure: this.secureCookies, maxAge: 0, path: '/' });
  }

  isAdmin(userId: string): Promise<boolean> {
    return this.deps.access.isMember(userId, this.deps.admins());
  }

  private async userByEmail(email: string): Promise<{ id: string; name: string } | undefined> {
    const hit = this.emails.get(email);
    if (hit && hit.until > Date.now()) return hit.user;
    let user: { id: string; name: string } | undefined;
    try {
      const res = await this.deps.slack.users.lookupByEmail({ email });
      if (res.user?.id && !res.user.deleted) user = { id: res.user.id, name: res.user.real_name || res.user.name || res.user.id };
    } catch (err) {
      // users_not_found is an answer (cache it); anything else is not, so ask again next time.
      if ((err as { data?: { error?: string } }).data?.error !== 'users_not_found') {
        this.deps.logger.warn({ err, email }, 'console: users.lookupByEmail failed');
        return undefined;
      }
    }
    this.emails.set(email, { user, until: Date.now() + EMAIL_CACHE_MS });
    return user;
  }
}

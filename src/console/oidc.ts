// Sign in with Slack (OpenID Connect, authorization code flow):
//   GET /ui/login/slack      -> Slack's authorize URL (scopes openid email profile, state and nonce)
//   GET /ui/auth/callback    <- ?code&state: the code is exchanged at openid.connect.token (Web API, so
//                               SLACK_API_URL applies), the id_token's signature checked against Slack's JWKS,
//                               then iss, aud (our client id), exp, nonce and the workspace.
// state and nonce travel in a short-lived signed cookie, bound to this browser.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebClient } from '@slack/web-api';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { Logger } from '../app/logger.js';
import type { ConsoleSettings } from './config.js';
import type { ConsoleAuth } from './auth.js';
import { readCookie, setCookie } from './session.js';
import { redirect, safeNext } from './router.js';

export const OIDC_COOKIE = 'taser_oidc';
const FLOW_SECONDS = 600;
export const CALLBACK_PATH = '/ui/auth/callback';

const flowSchema = z.strictObject({ state: z.string(), nonce: z.string(), next: z.string(), exp: z.number() });

const claimsSchema = z.looseObject({
  sub: z.string(),
  nonce: z.string(),
  email: z.string().optional(),
  name: z.string().optional(),
  'https://slack.com/user_id': z.string().regex(/^[UW][A-Z0-9]+$/).optional(),
  'https://slack.com/team_id': z.string().optional(),
});

export class SignInError extends Error {
  override readonly name = 'SignInError';
}

export class SlackOidc {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  private readonly oidc: NonNullable<ConsoleSettings['oidc']>;

  constructor(
    private readonly settings: ConsoleSettings,
    private readonly auth: ConsoleAuth,
    private readonly deps: { slackApiUrl?: string; logger: Logger },
  ) {
    this.oidc = settings.oidc!;
    this.jwks = createRemoteJWKSet(new URL(this.oidc.jwksUrl));
  }

  private redirectUri(req: IncomingMessage): string {
    // Without console.baseUrl (development) the Host header is used; Slack still refuses a redirect URL that is
    // not registered in the app's settings.
    const base = this.settings.baseUrl ?? new URL(`http://${req.headers.host ?? 'localhost'}`);
    return new URL(CALLBACK_PATH, base).toString();
  }

  /** Sends the browser to Slack's consent page. */
  start(req: IncomingMessage, res: ServerResponse): void {
    const next = safeNext(new URL(req.url ?? '/', 'http://localhost').searchParams.get('next'));
    const flow = { state: randomBytes(18).toString('base64url'), nonce: randomBytes(18).toString('base64url'), next, exp: Math.floor(Date.now() / 1000) + FLOW_SECONDS };
    setCookie(res, OIDC_COOKIE, this.auth.codec.encode(flow), { secure: this.auth.secureCookies, maxAge: FLOW_SECONDS, path: '/ui/auth' });
    const url = new URL(this.oidc.authorizeUrl);
    url.search = new URLSearchParams({
      response_type: 'code',
      scope: 'openid email profile',
      client_id: this.oidc.clientId,
      state: flow.state,
      nonce: flow.nonce,
      redirect_uri: this.redirectUri(req),
      ...(this.oidc.teamId ? { team: this.oidc.teamId } : {}),
    }).toString();
    redirect(res, url.toString(), false);
  }

  /** Finishes the flow: a session cookie and the page the user wanted; throws SignInError with what went wrong. */
  async callback(req: IncomingMessage, res: ServerResponse): Promise<string> {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const flow = flowSchema.safeParse(this.auth.codec.decodeRaw(readCookie(req, OIDC_COOKIE)));
    setCookie(res, OIDC_COOKIE, '', { secure: this.auth.secureCookies, maxAge: 0, path: '/ui/auth' });
    if (query.get('error')) throw new SignInError(`Slack did not sign you in: ${query.get('error')}`);
    if (!flow.success) throw new SignInError('the sign-in took too long or started in another browser; try again');
    if (query.get('state') !== flow.data.state) throw new SignInError('the sign-in answer does not belong to this browser (state mismatch); try again');
    const code = query.get('code');
    if (!code) throw new SignInError('Slack sent no authorization code');

    const client = new WebClient(undefined, { slackApiUrl: this.deps.slackApiUrl, retryConfig: { retries: 1 } });
    let idToken: string | undefined;
    try {
      const answer = await client.openid.connect.token({ client_id: this.oidc.clientId, client_secret: this.oidc.clientSecret, code, redirect_uri: this.redirectUri(req) });
      idToken = answer.id_token;
    } catch (err) {
      this.deps.logger.warn({ err }, 'console: openid.connect.token failed');
      throw new SignInError(`Slack refused the authorization code (${(err as { data?: { error?: string } }).data?.error ?? (err as Error).message})`);
    }
    if (!idToken) throw new SignInError('Slack answered without an id_token');

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, this.jwks, { issuer: this.oidc.issuer, audience: this.oidc.clientId, algorithms: ['RS256'], clockTolerance: 30, requiredClaims: ['exp', 'iat'] }));
    } catch (err) {
      this.deps.logger.warn({ err }, 'console: id_token refused');
      throw new SignInError(`the id_token did not verify (${(err as Error).message})`);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new SignInError('the id_token lacks the claims taser needs (sub, nonce)');
    if (claims.data.nonce !== flow.data.nonce) throw new SignInError('the id_token was not issued for this sign-in (nonce mismatch)');
    const team = claims.data['https://slack.com/team_id'];
    if (this.oidc.teamId && team !== this.oidc.teamId) throw new SignInError(`this console is for workspace ${this.oidc.teamId}, not ${team ?? 'an unknown one'}`);
    const userId = claims.data['https://slack.com/user_id'] ?? claims.data.sub;
    if (!/^[UW][A-Z0-9]+$/.test(userId)) throw new SignInError('the id_token names no Slack user');

    const session = this.auth.codec.create({ sub: userId, name: claims.data.name ?? userId, email: claims.data.email?.toLowerCase(), via: 'slack' });
    this.auth.signIn(res, session);
    this.deps.logger.info({ audit: 'console_sign_in', user: userId, via: 'slack' }, 'console sign-in');
    return flow.data.next;
  }
}

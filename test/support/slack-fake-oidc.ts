// Sign in with Slack (OpenID Connect) in the Slack fake, from Slack's documentation of the flow:
//   GET  /openid/connect/authorize   the consent page: auto-approves as the configured user and redirects back
//                                    to redirect_uri with ?code&state (or ?error=access_denied&state)
//   POST /api/openid.connect.token   a Web API method authenticated by client_id + client_secret (no token)
//   GET  /openid/connect/keys        the JWKS of the RS256 key the fake signs id_tokens with
// The id_token has Slack's claims: iss https://slack.com, aud = client id, sub and https://slack.com/user_id,
// https://slack.com/team_id, email, name, nonce, iat, exp.
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SlackFake } from './slack-fake.js';

type Args = Record<string, unknown>;
type Result = Record<string, unknown> | { error: string };

export interface OidcSettings {
  clientId: string;
  clientSecret: string;
  /** The user the consent page signs in as (a user added with fake.addUser). */
  userId?: string;
  /** `deny`: the user clicks "Cancel" (error=access_denied). */
  consent?: 'approve' | 'deny';
  /** Seconds an id_token is valid (negative: already expired). */
  idTokenSeconds?: number;
  issuer?: string;
  /** Overrides the team id claim (a user of another workspace). */
  teamId?: string;
}

interface OidcState extends OidcSettings {
  key: KeyObject;
  kid: string;
  codes: Map<string, { userId: string; clientId: string; redirectUri: string; nonce?: string }>;
  /** Every authorize request's query, for assertions (scope, state, nonce, redirect_uri). */
  authorizeRequests: URLSearchParams[];
}

const states = new WeakMap<SlackFake, OidcState>();

/** Turns on the OIDC endpoints of a fake; returns the URLs to configure taser's console with. */
export function enableOidc(fake: SlackFake, settings: OidcSettings): { authorizeUrl: string; jwksUrl: string; state: OidcState } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const state: OidcState = { ...settings, key: createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })), kid: randomBytes(6).toString('hex'), codes: new Map(), authorizeRequests: [] };
  states.set(fake, state);
  return { authorizeUrl: `${fake.baseUrl}/openid/connect/authorize`, jwksUrl: `${fake.baseUrl}/openid/connect/keys`, state };
}

/** Changes who the consent page signs in as (or whether it refuses). */
export function setOidcUser(fake: SlackFake, userId: string, consent: 'approve' | 'deny' = 'approve'): void {
  const state = states.get(fake);
  if (!state) throw new Error('enableOidc(fake, ...) first');
  state.userId = userId;
  state.consent = consent;
}

/** Methods answered without a bot token (the client authenticates with its id and secret). */
export const OIDC_UNAUTHENTICATED_METHODS: ReadonlySet<string> = new Set(['openid.connect.token']);

export const oidcMethods: Record<string, (fake: SlackFake, args: Args) => Result> = {
  'openid.connect.token': (fake, args) => {
    const state = states.get(fake);
    if (!state) return { error: 'invalid_client_id' };
    if (args.client_id !== state.clientId) return { error: 'invalid_client_id' };
    if (args.client_secret !== state.clientSecret) return { error: 'bad_client_secret' };
    const code = typeof args.code === 'string' ? state.codes.get(args.code) : undefined;
    if (!code) return { error: 'invalid_code' };
    state.codes.delete(args.code as string);
    if (args.redirect_uri !== code.redirectUri) return { error: 'bad_redirect_uri' };
    const user = fake.users.get(code.userId);
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: state.issuer ?? 'https://slack.com',
      sub: code.userId,
      aud: state.clientId,
      exp: now + (state.idTokenSeconds ?? 3600),
      iat: now,
      auth_time: now,
      ...(code.nonce ? { nonce: code.nonce } : {}),
      'https://slack.com/user_id': code.userId,
      'https://slack.com/team_id': state.teamId ?? fake.teamId,
      email: user?.email,
      email_verified: true,
      name: user?.real_name ?? user?.name,
    };
    return { access_token: `xoxp-oidc-${randomBytes(6).toString('hex')}`, token_type: 'Bearer', id_token: signJwt(state, claims) };
  },
};

function signJwt(state: OidcState, claims: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: state.kid })}.${b64(claims)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), state.key).toString('base64url')}`;
}

/** Serves the OIDC pages that are not Web API methods; false when the path is not one of them. */
export function serveOidcPage(fake: SlackFake, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  const state = states.get(fake);
  if (!state) return false;
  if (url.pathname === '/openid/connect/keys' && req.method === 'GET') {
    const jwk = state.key.export({ format: 'jwk' });
    const publicJwk = { kty: jwk.kty, n: jwk.n, e: jwk.e, kid: state.kid, alg: 'RS256', use: 'sig' };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [publicJwk] }));
    return true;
  }
  if (url.pathname === '/openid/connect/authorize' && req.method === 'GET') {
    const q = url.searchParams;
    state.authorizeRequests.push(q);
    const redirectUri = q.get('redirect_uri');
    const bad = (text: string) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(text);
      return true;
    };
    if (q.get('client_id') !== state.clientId) return bad('invalid client_id');
    if (q.get('response_type') !== 'code') return bad('response_type must be code');
    if (!(q.get('scope') ?? '').split(' ').includes('openid')) return bad('scope must include openid');
    if (!redirectUri) return bad('redirect_uri missing');
    const back = new URL(redirectUri);
    if (q.get('state')) back.searchParams.set('state', q.get('state')!);
    if (state.consent === 'deny' || !state.userId) back.searchParams.set('error', 'access_denied');
    else {
      const code = randomBytes(12).toString('hex');
      state.codes.set(code, { userId: state.userId, clientId: state.clientId, redirectUri, nonce: q.get('nonce') ?? undefined });
      back.searchParams.set('code', code);
    }
    res.writeHead(302, { location: back.toString() });
    res.end();
    return true;
  }
  return false;
}

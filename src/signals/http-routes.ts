// POST /signals/:source: authenticate, read (1 MiB at most), parse, map, validate, store, answer 202 only
// once the signals are durably stored; correlation runs after the answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson, type HttpServer } from '../app/http-server.js';
import { gateRefusal, type UnauthenticatedBodyGate } from '../app/body-gate.js';
import { newErrorId } from '../app/errors.js';
import type { Logger } from '../app/logger.js';
import type { Env } from '../app/secrets.js';
import type { RouteTable } from '../plugins/routes.js';
import { BodyParseError, capProblems, parseEventsBody } from './body.js';
import { InvalidEventsError, mapEvents, StoreBusyError, type Ingestor } from './ingest.js';
import { resolveAuthSecret, verifyWebhook, type WebhookAuthConfig } from './webhook-auth.js';
import { ConfigError } from '../app/errors.js';

export const MAX_SIGNAL_BODY = 1024 * 1024;

interface SourceAuth {
  config: WebhookAuthConfig;
  secret: string;
}

/** Resolves each source's webhook secret at start; a configured source whose secret is missing stops start-up. */
export function resolveSourceAuth(routes: RouteTable, sources: Record<string, { auth: WebhookAuthConfig }>, env: Env, logger: Logger): Map<string, SourceAuth> {
  const problems: string[] = [];
  const auth = new Map<string, SourceAuth>();
  for (const [name, settings] of Object.entries(sources)) {
    if (!routes.sources.has(name)) {
      problems.push(`sources.${name}: no enabled plugin provides a source named "${name}" (known: ${[...routes.sources.keys()].join(', ') || 'none'})`);
      continue;
    }
    const secret = resolveAuthSecret(settings.auth, env);
    const variable = settings.auth.type === 'hmac' ? settings.auth.secretEnv : settings.auth.tokenEnv;
    if (!secret) problems.push(`sources.${name}.auth: the environment variable ${variable} (or ${variable}_FILE) is not set`);
    else auth.set(name, { config: settings.auth, secret });
  }
  if (problems.length) throw new ConfigError(problems);
  for (const name of routes.sources.keys()) {
    if (!auth.has(name)) logger.warn({ source: name }, 'source has no webhook authentication configured (sources.<name>.auth): its webhook refuses every request');
  }
  return auth;
}

export function mountSignalRoutes(
  http: HttpServer,
  deps: {
    routes: RouteTable;
    auth: Map<string, SourceAuth>;
    ingestor: Ingestor;
    logger: Logger;
    gate: UnauthenticatedBodyGate;
    /** Seconds a sender should wait when correlation is too far behind (config correlation.maxBacklog), else undefined. */
    backPressure?: () => number | undefined;
  },
): void {
  const { routes, auth, ingestor, logger, gate } = deps;

  // A vendor's verification request on the webhook URL: authenticated like a POST (with an empty body).
  http.route('GET', '/signals/:source', (req: IncomingMessage, res: ServerResponse, params) => {
    const name = params.source!;
    const source = routes.sources.get(name);
    if (!source?.def.handshake) return sendJson(res, 404, { error: 'not_found', message: `no webhook handshake for "${name}"` });
    const sourceAuth = auth.get(name);
    const verdict = sourceAuth ? verifyWebhook(sourceAuth.config, sourceAuth.secret, req.headers, Buffer.alloc(0)) : { ok: false as const, reason: 'no authentication configured for this source' };
    if (!verdict.ok) {
      logger.warn({ source: name, reason: verdict.reason, remote: req.socket.remoteAddress }, 'signal webhook handshake refused: unauthenticated');
      return sendJson(res, 401, { error: 'unauthenticated', message: verdict.reason });
    }
    const answer = source.def.handshake({ headers: req.headers, query: new URL(req.url ?? '/', 'http://localhost').searchParams });
    if (answer === undefined) return sendJson(res, 404, { error: 'not_found', message: 'not a handshake request' });
    logger.info({ source: name }, 'signal webhook handshake answered');
    sendJson(res, 200, answer);
  });
  http.route('POST', '/signals/:source', async (req: IncomingMessage, res: ServerResponse, params) => {
    const name = params.source!;
    const source = routes.sources.get(name);
    if (!source) return sendJson(res, 404, { error: 'unknown_source', message: `no source named "${name}"` });

    // Bearer tokens are checked before the body is read; HMAC signs the body, so it is read under the gate first.
    const sourceAuth = auth.get(name);
    const refuse = (reason: string) => {
      logger.warn({ source: name, reason, remote: req.socket.remoteAddress }, 'signal webhook refused: unauthenticated');
      res.setHeader('connection', 'close');
      sendJson(res, 401, { error: 'unauthenticated', message: reason });
    };
    if (!sourceAuth) return refuse('no authentication configured for this source');
    const early = sourceAuth.config.type === 'bearer' ? verifyWebhook(sourceAuth.config, sourceAuth.secret, req.headers, Buffer.alloc(0)) : undefined;
    if (early && !early.ok) return refuse(early.reason);

    let raw: Buffer;
    try {
      raw = early ? await readBody(req, MAX_SIGNAL_BODY) : await gate.read(req, MAX_SIGNAL_BODY);
    } catch (err) {
      const refusal = gateRefusal(err);
      if (refusal) {
        logger.warn({ source: name, reason: refusal.message }, `signal webhook refused: ${refusal.error}`);
        if (!res.headersSent && !res.destroyed) sendJson(res, refusal.status, { error: refusal.error, message: refusal.status === 413 ? `at most ${MAX_SIGNAL_BODY} bytes per request` : refusal.message }, refusal.headers);
        return;
      }
      throw err;
    }

    if (!early) {
      const verdict = verifyWebhook(sourceAuth.config, sourceAuth.secret, req.headers, raw);
      if (!verdict.ok) return refuse(verdict.reason);
    }

    // Refused before anything is stored: the sender keeps the signals and retries when told.
    const retryAfter = deps.backPressure?.();
    if (retryAfter !== undefined) {
      logger.warn({ source: name, retryAfter }, 'signal webhook refused: the correlation backlog is over correlation.maxBacklog');
      return sendJson(res, 429, { error: 'backlog_full', message: `correlation is behind; retry in ${retryAfter} s` }, { 'retry-after': String(retryAfter) });
    }

    let signals;
    try {
      signals = mapEvents(name, source.def, parseEventsBody(raw, req.headers['content-type']));
    } catch (err) {
      if (err instanceof BodyParseError || err instanceof InvalidEventsError) {
        const problems = capProblems(err.problems);
        logger.warn({ source: name, problems: problems.slice(0, 20), count: err.problems.length }, 'signal webhook refused: invalid body');
        return sendJson(res, 400, { error: err instanceof BodyParseError ? 'invalid_body' : 'invalid_events', problems });
      }
      throw err;
    }

    let result;
    try {
      result = await ingestor.ingest(name, signals);
    } catch (err) {
      if (err instanceof StoreBusyError) {
        logger.warn({ source: name, queued: err.queued }, 'signal webhook refused: the store is behind (signals waiting to be stored)');
        return sendJson(res, 503, { error: 'store_busy', message: 'the store is behind; nothing was stored; retry in 5 s' }, { 'retry-after': '5' });
      }
      const errorId = newErrorId();
      // Not the error object itself: a driver error can carry whole documents, and this line must stay small.
      const { name: kind, message, code } = err as { name?: string; message?: string; code?: unknown };
      logger.error({ err: { name: kind, code, message: String(message).slice(0, 1000) }, errorId, source: name }, 'signals could not be stored');
      return sendJson(res, 503, { error: 'storage_unavailable', message: 'the signals may not be stored; retry later (a retry is safe: signals already stored are counted as duplicates)', errorId }, { 'retry-after': '5' });
    }
    sendJson(res, 202, { accepted: result.accepted, duplicates: result.duplicates });
  });
}

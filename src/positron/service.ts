// Positron: one question, every provider that can answer it. Checks the ACL, serves from the cache or fans
// out, ranks, and audits every request (allowed or denied) in MongoDB.
import { createHash } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Logger } from '../app/logger.js';
import type { AccessControl } from '../plugins/types.js';
import { fanOut, type Clock, type Provider, type ProviderStatus } from './fanout.js';
import { rankAnswers, type RankedAnswer } from './rank.js';
import { UsageError, type QueryType } from './query-types.js';
import type { PositronConfig } from './config.js';
import { ensureCollectionIndexes } from '../store/collections.js';
import type { Caller, PositronResult, QueryDescription } from './api.js';

export type { Caller, PositronResult, QueryDescription } from './api.js';
import { own } from '../app/own.js';

export class AccessDeniedError extends Error {
  override readonly name = 'AccessDeniedError';
}

export class UnknownQueryError extends Error {
  override readonly name = 'UnknownQueryError';
}

export interface AuditRecord {
  at: Date;
  caller: string;
  query: string;
  input: unknown;
  outcome: 'answered' | 'no_answer' | 'denied' | 'invalid' | 'unknown_query' | 'error';
  providers: { provider: string; status: ProviderStatus; ms: number }[];
  cached?: boolean;
  top?: string;
  reason?: string;
}

interface CacheEntry {
  _id: string;
  result: PositronResult;
  expiresAt: Date;
}

export const AUDIT_COLLECTION = 'positron_audit';
export const CACHE_COLLECTION = 'positron_cache';

function callerId(caller: Caller): string {
  switch (caller.kind) {
    case 'slack':
      return `slack:${caller.userId}`;
    case 'api':
      return `api:${caller.key}`;
    case 'cli':
      return `cli:${caller.user}`;
    case 'system':
      return `system:${caller.name}`;
  }
}

export class Positron {
  private readonly queries = new Map<string, QueryType>();
  private readonly audit: Collection<AuditRecord>;
  private readonly cache: Collection<CacheEntry>;

  constructor(
    queries: readonly QueryType[],
    private readonly providers: readonly Provider[],
    private readonly config: PositronConfig,
    private readonly access: AccessControl,
    db: Db,
    private readonly logger: Logger,
    private readonly clock?: Clock,
  ) {
    for (const q of queries) this.queries.set(q.name, q);
    this.audit = db.collection<AuditRecord>(AUDIT_COLLECTION);
    this.cache = db.collection<CacheEntry>(CACHE_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await ensureCollectionIndexes(this.audit, [{ key: { at: -1 }, name: 'at' }, { key: { caller: 1, at: -1 }, name: 'caller' }]);
  }

  queryTypes(): QueryType[] {
    return [...this.queries.values()];
  }

  providersOf(query: string): Provider[] {
    return this.providers.filter((p) => p.query === query);
  }

  /** Whether the caller may run the query: listed groups, or open unless sensitive. */
  async mayRun(caller: Caller, query: string): Promise<boolean> {
    const groups = own(this.config.acl, query);
    if (!groups) return !this.config.sensitive.includes(query);
    // The operator on the server already holds every secret; taser's own enrichment is configured by them.
    if (caller.kind === 'cli' || caller.kind === 'system') return true;
    if (caller.kind === 'api') return groups.some((g) => caller.groups.includes(g));
    return this.access.isMember(caller.userId, groups);
  }

  async allowedQueries(caller: Caller): Promise<QueryType[]> {
    const allowed: QueryType[] = [];
    for (const q of this.queries.values()) if (await this.mayRun(caller, q.name)) allowed.push(q);
    return allowed;
  }

  /**
   * Every query with what stands between the caller and an answer: no enabled provider, or an ACL the caller
   * is not in (and which groups it needs).
   */
  async describeQueries(caller: Caller): Promise<QueryDescription[]> {
    const out: QueryDescription[] = [];
    for (const q of this.queries.values()) {
      out.push({
        name: q.name,
        usage: q.usage,
        description: q.description,
        allowed: await this.mayRun(caller, q.name),
        groups: this.config.acl[q.name] ?? [],
        providers: this.providersOf(q.name).length,
      });
    }
    return out;
  }

  /** Runs a query from slash-command style arguments, or from an input object (HTTP API). */
  async run(caller: Caller, queryName: string, request: { args: string[] } | { input: unknown }): Promise<PositronResult> {
    const name = queryName.toUpperCase();
    const query = this.queries.get(name);
    const base = { at: new Date(), caller: callerId(caller), query: name, providers: [] };
    if (!query) {
      await this.record({ ...base, input: 'args' in request ? request.args : request.input, outcome: 'unknown_query' });
      throw new UnknownQueryError(`unknown query ${name}; known: ${[...this.queries.keys()].join(', ')}`);
    }
    if (!(await this.mayRun(caller, name))) {
      await this.record({ ...base, input: 'args' in request ? request.args : request.input, outcome: 'denied' });
      this.logger.warn({ audit: 'positron_denied', caller: base.caller, query: name }, 'Positron query denied');
      throw new AccessDeniedError(`You are not allowed to run ${name}.`);
    }
    let input: unknown;
    try {
      if ('args' in request) input = query.parseArgs(request.args);
      const parsed = query.input.safeParse('args' in request ? input : request.input);
      if (!parsed.success) throw new UsageError(`${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}. usage: ${query.usage}`);
      input = parsed.data;
    } catch (err) {
      await this.record({ ...base, input: 'args' in request ? request.args : request.input, outcome: 'invalid', reason: (err as Error).message });
      throw err;
    }

    const cacheKey = `${name}:${createHash('sha256').update(JSON.stringify(input)).digest('hex')}`;
    const hit = await this.cache.findOne({ _id: cacheKey }).catch(() => null);
    if (hit && hit.expiresAt > new Date()) {
      const result = { ...hit.result, cached: true };
      await this.record({ ...base, input, outcome: result.top ? 'answered' : 'no_answer', providers: result.providers, cached: true, top: result.top?.summary });
      return result;
    }

    const outcomes = await fanOut(query, this.providersOf(name), input, { defaultTimeoutMs: this.config.timeoutMs, clock: this.clock });
    const ranked = rankAnswers(query, outcomes);
    const result: PositronResult = {
      query: name,
      input,
      top: ranked[0],
      alternatives: ranked.slice(1),
      providers: outcomes.map((o) => ({ provider: o.provider, status: o.status, ms: Math.round(o.ms), ...(o.error ? { error: o.error } : {}) })),
      cached: false,
      at: new Date().toISOString(),
    };
    for (const o of outcomes) {
      if (o.status === 'failed' || o.status === 'timeout') this.logger.warn({ provider: o.provider, query: name, status: o.status, error: o.error }, 'Positron provider did not answer');
    }
    // Only answers are cached: a provider outage should not be remembered for the TTL.
    if (result.top && outcomes.every((o) => o.status === 'answered' || o.status === 'empty')) {
      await this.cache
        .replaceOne({ _id: cacheKey }, { result, expiresAt: new Date(Date.now() + query.ttlMs) }, { upsert: true })
        .catch((err: unknown) => this.logger.warn({ err }, 'Positron cache write failed'));
    }
    await this.record({ ...base, input, outcome: result.top ? 'answered' : 'no_answer', providers: result.providers, top: result.top?.summary });
    return result;
  }

  private async record(entry: AuditRecord): Promise<void> {
    // An audit write failing must be loud: it is logged with the whole record so nothing is lost silently.
    await this.audit.insertOne({ ...entry, providers: entry.providers.map(({ provider, status, ms }) => ({ provider, status, ms })) }).catch((err: unknown) => {
      this.logger.error({ err, auditRecord: entry }, 'Positron audit write failed');
    });
  }
}

// Enrichment rules (source/type -> Positron query) stored and edited like correlation rules. What was chosen,
// kept simple: the whole set is one versioned document. `enrichment_sets` holds `_id` `v<n>` for every
// version (inserted: the unique _id is the arbiter between two saves) and `_id` `current` naming the version
// in force. The config file's `enrichment:` is the initial set; a set saved in the console survives restarts
// until the file's set changes (then the file wins, as for rules). Every replica reads `current` by `_id`
// every few seconds and swaps its Enricher's rules when the version changed. Every save is audited.
import { isDeepStrictEqual } from 'node:util';
import type { Collection, Db } from 'mongodb';
import { z } from 'zod';
import type { Logger } from '../app/logger.js';
import { enrichmentSchema, type EnrichmentRule, type Enricher } from '../signals/enrich.js';
import { isDuplicateKeyError } from '../store/mongo.js';
import { RuleConflictError } from '../correlation/rule-store.js';
import type { RuleAudit } from '../correlation/rule-audit.js';

export const ENRICHMENT_COLLECTION = 'enrichment_sets';
const REFRESH_MS = 5_000;

export interface EnrichmentSet {
  _id: string;
  version: number;
  rules: EnrichmentRule[];
  /** The config file's set when this version was made (to see whether the file changed since). */
  configRules: EnrichmentRule[];
  updatedAt: Date;
  updatedBy: string;
}

export interface Issue {
  path: string;
  message: string;
}

export class EnrichmentInvalidError extends Error {
  override readonly name = 'EnrichmentInvalidError';
  constructor(readonly issues: Issue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  }
}

export class EnrichmentStore {
  readonly collection: Collection<EnrichmentSet>;
  private timer?: NodeJS.Timeout;
  private applied = 0;

  constructor(
    db: Db,
    private readonly deps: { audit: RuleAudit; logger: Logger; knownQueries: () => string[] },
  ) {
    this.collection = db.collection<EnrichmentSet>(ENRICHMENT_COLLECTION);
  }

  current(): Promise<EnrichmentSet | null> {
    return this.collection.findOne({ _id: 'current' });
  }

  async history(): Promise<EnrichmentSet[]> {
    const current = await this.current();
    if (!current) return [];
    const ids = Array.from({ length: Math.min(current.version, 50) }, (_, i) => `v${current.version - i}`);
    const docs = await this.collection.find({ _id: { $in: ids } }).toArray();
    return docs.sort((a, b) => b.version - a.version);
  }

  /** At start: the file's set becomes a new version when it changed since the last start (or there is none). */
  async syncFromConfig(rules: EnrichmentRule[]): Promise<void> {
    const current = await this.current();
    if (current && isDeepStrictEqual(current.configRules, rules)) return;
    await this.write(rules, rules, 'config', current?.version ?? 0).catch((err: unknown) => {
      // Another replica started with the same file at the same moment.
      if (!(err instanceof RuleConflictError)) throw err;
    });
  }

  /** Validates: the schema, and that every query is one Positron knows. Issues name `rules.N.field`. */
  validate(input: unknown): EnrichmentRule[] {
    const parsed = enrichmentSchema.safeParse(input);
    if (!parsed.success) throw new EnrichmentInvalidError(parsed.error.issues.map((i) => ({ path: ['rules', ...i.path].join('.'), message: i.message })));
    const known = new Set(this.deps.knownQueries());
    const issues = parsed.data.flatMap((r, i) =>
      known.has(r.query) ? [] : [{ path: `rules.${i}.query`, message: `no Positron query ${r.query}; known: ${[...known].sort().join(', ') || '(none)'}` }],
    );
    if (issues.length) throw new EnrichmentInvalidError(issues);
    return parsed.data;
  }

  /** Saves a new set (validated) as the next version and audits it; `baseVersion` guards against a lost edit. */
  async save(input: unknown, by: string, baseVersion?: number): Promise<EnrichmentSet> {
    const rules = this.validate(input);
    const current = await this.current();
    const version = current?.version ?? 0;
    if (baseVersion !== undefined && baseVersion !== version) {
      throw new RuleConflictError(`the enrichment rules are at version ${version} now, not ${baseVersion}: someone saved them since; reload and edit again`);
    }
    const saved = await this.write(rules, current?.configRules ?? [], by, version);
    await this.deps.audit.record({ actor: by, action: 'enrichment_edited', subject: 'enrichment', outcome: 'done', version: saved.version, before: current?.rules ?? [], after: rules });
    return saved;
  }

  private async write(rules: EnrichmentRule[], configRules: EnrichmentRule[], by: string, previous: number): Promise<EnrichmentSet> {
    const doc = { version: previous + 1, rules, configRules, updatedAt: new Date(), updatedBy: by };
    try {
      await this.collection.insertOne({ _id: `v${doc.version}`, ...doc });
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new RuleConflictError(`enrichment version ${doc.version} was saved by someone else a moment ago; reload and edit again`);
      throw err;
    }
    await this.collection.replaceOne({ _id: 'current' }, doc, { upsert: true });
    return { _id: 'current', ...doc };
  }

  /** Keeps the Enricher on the stored set: now, then every few seconds (a save on any replica reaches all). */
  async follow(enricher: Enricher): Promise<void> {
    const refresh = async () => {
      const current = await this.current();
      if (current && current.version !== this.applied) {
        enricher.setRules(current.rules);
        this.applied = current.version;
      }
    };
    await refresh();
    this.timer ??= setInterval(() => void refresh().catch((err: unknown) => this.deps.logger.warn({ err }, 'could not read the enrichment rules; keeping the last ones')), REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

export const enrichmentBodySchema = z.strictObject({
  rules: z.array(z.unknown()).max(200, 'at most 200 enrichment rules'),
  baseVersion: z.number().int().min(0).optional(),
});

// Correlation rules in MongoDB, with versions. The config file gives the initial rules: at start each rule is
// compared with the definition last read from the file and, when the file changed it, stored as a new version
// (a new version has a new state key, so it starts from fresh state: old free signals never fire a changed
// rule). The console and the HTTP API save rules too (`save`), each save a new version; such an edit survives
// restarts until the file's definition of that rule changes (then the file wins), and a rule created there is
// never marked removed by the file. Enabling and disabling is a switch on the stored rule, not a new version.
// Every save and switch is audited (rule-audit.ts).
// Every replica reads the rules from MongoDB (cached for a few seconds), so a switch reaches all of them.
import { isDeepStrictEqual } from 'node:util';
import type { Collection, Db } from 'mongodb';
import { compileRule, parseRule, parseRules, RuleError, type CompiledRule, type Rule } from './rule.js';
import { isDuplicateKeyError } from '../store/mongo.js';
import { ensureCollectionIndexes } from '../store/collections.js';
import { RuleAudit } from './rule-audit.js';

export const RULES_COLLECTION = 'rules';
export const RULE_VERSIONS_COLLECTION = 'rule_versions';

export interface StoredRule {
  /** The rule id. */
  _id: string;
  version: number;
  /** The rule as written in the config file (validated). */
  definition: Record<string, unknown>;
  enabled: boolean;
  /** Gone from the config file: kept for history and search, never evaluated. */
  removed: boolean;
  updatedAt: Date;
  /** Who switched it last ("config" at load). */
  updatedBy: string;
  /** The definition as last read from the config file; absent for a rule created in the console or API. */
  configDefinition?: Record<string, unknown>;
}

export interface RuleVersion {
  /** `${id}@${version}` */
  _id: string;
  ruleId: string;
  version: number;
  definition: Record<string, unknown>;
  createdAt: Date;
}

export interface ActiveRule {
  rule: Rule;
  version: number;
  compiled: CompiledRule;
}

/** The state key of a rule version: a new version starts with fresh state. */
export function ruleStateKey(id: string, version: number): string {
  return `${id}@${version}`;
}

const CACHE_MS = 5_000;

/** A save that cannot be applied as asked: the id is taken, the rule is gone, or someone saved in between. */
export class RuleConflictError extends Error {
  override readonly name = 'RuleConflictError';
  constructor(
    message: string,
    readonly status: 404 | 409 = 409,
  ) {
    super(message);
  }
}

export class RuleStore {
  readonly rules: Collection<StoredRule>;
  readonly versions: Collection<RuleVersion>;
  readonly audit: RuleAudit;
  private cache?: { at: number; active: ActiveRule[] };

  constructor(
    db: Db,
    private readonly clock: () => number = Date.now,
  ) {
    this.rules = db.collection<StoredRule>(RULES_COLLECTION);
    this.versions = db.collection<RuleVersion>(RULE_VERSIONS_COLLECTION);
    this.audit = new RuleAudit(db);
  }

  /**
   * Stores the config file's rules: new ones as version 1, changed ones as a new version (enabled as the file
   * says), unchanged ones untouched (an operator's switch survives a restart). Rules no longer in the file are
   * marked removed. Throws RuleError naming the rule and field for any invalid rule; nothing is stored then.
   */
  async syncFromConfig(definitions: unknown[]): Promise<{ added: string[]; changed: string[]; removed: string[] }> {
    const parsed = parseRules(definitions);
    const now = new Date(this.clock());
    const added: string[] = [];
    const changed: string[] = [];
    const existing = new Map((await this.rules.find({}).toArray()).map((r) => [r._id, r]));
    for (const [i, rule] of parsed.entries()) {
      const definition = definitions[i] as Record<string, unknown>;
      const stored = existing.get(rule.id);
      // Compared with what the file said last time: an edit made in the console survives an unchanged file.
      if (stored && isDeepStrictEqual(stored.configDefinition ?? stored.definition, definition)) {
        if (stored.removed) await this.rules.updateOne({ _id: rule.id }, { $set: { removed: false, updatedAt: now, updatedBy: 'config' } });
        continue;
      }
      const version = stored ? stored.version + 1 : 1;
      await this.versions.insertOne({ _id: ruleStateKey(rule.id, version), ruleId: rule.id, version, definition, createdAt: now }).catch((err: unknown) => {
        // Another replica started with the same file at the same moment and stored this version first.
        if (!isDuplicateKeyError(err)) throw err;
      });
      await this.rules.replaceOne(
        { _id: rule.id },
        { version, definition, configDefinition: definition, enabled: rule.enabled, removed: false, updatedAt: now, updatedBy: 'config' },
        { upsert: true },
      );
      (stored ? changed : added).push(rule.id);
    }
    const inFile = new Set(parsed.map((r) => r.id));
    // Only rules that came from the file leave with it (a stored rule of an older taser has no configDefinition
    // but came from the file: updatedBy 'config' or a switch; a console-created one has createdIn 'console').
    const fromFile = (r: StoredRule & { createdIn?: string }) => r.createdIn !== 'console';
    const removed = [...existing.values()].filter((r) => !r.removed && !inFile.has(r._id) && fromFile(r)).map((r) => r._id);
    if (removed.length) await this.rules.updateMany({ _id: { $in: removed } }, { $set: { removed: true, updatedAt: now, updatedBy: 'config' } });
    this.invalidate();
    return { added, changed, removed };
  }

  /** Every stored rule that is still in the config, parsed. */
  async list(): Promise<(StoredRule & { rule: Rule })[]> {
    const docs = await this.rules.find({ removed: false }).sort({ _id: 1 }).toArray();
    return docs.map((doc) => ({ ...doc, rule: parseRule(doc.definition, `rule "${doc._id}"`) }));
  }

  async get(id: string): Promise<(StoredRule & { rule: Rule }) | undefined> {
    const doc = await this.rules.findOne({ _id: id, removed: false });
    return doc ? { ...doc, rule: parseRule(doc.definition, `rule "${doc._id}"`) } : undefined;
  }

  /** Switches a rule on or off (audited); returns false when there is no such rule. */
  async setEnabled(id: string, enabled: boolean, by: string): Promise<boolean> {
    const result = await this.rules.updateOne({ _id: id, removed: false }, { $set: { enabled, updatedAt: new Date(this.clock()), updatedBy: by } });
    this.invalidate();
    if (result.matchedCount !== 1) return false;
    await this.audit.record({ actor: by, action: enabled ? 'enabled' : 'disabled', subject: id, outcome: 'done', at: new Date(this.clock()) });
    return true;
  }

  /**
   * Saves a rule from the console or the HTTP API as a new version (version 1 when new) and audits it.
   * `mode` create refuses an id in use; edit refuses a rule that does not exist and, with `baseVersion`, an
   * edit of a version that is no longer the newest (someone saved in between). Throws RuleError for an
   * invalid definition and RuleConflictError for the rest; nothing is stored then. A definition without
   * `enabled` keeps the rule's switch (on for a new rule).
   */
  async save(definition: Record<string, unknown>, by: string, options: { mode: 'create' | 'edit'; baseVersion?: number }): Promise<StoredRule & { rule: Rule }> {
    const rule = parseRule(definition, 'rule');
    const stored = await this.rules.findOne({ _id: rule.id });
    const live = stored && !stored.removed ? stored : undefined;
    if (options.mode === 'create' && live) throw new RuleConflictError(`a rule "${rule.id}" exists already (version ${live.version}): edit it instead`);
    if (options.mode === 'edit' && !live) throw new RuleConflictError(`there is no rule "${rule.id}" to edit`, 404);
    if (options.baseVersion !== undefined && live && live.version !== options.baseVersion) {
      throw new RuleConflictError(`rule "${rule.id}" is at version ${live.version} now, not ${options.baseVersion}: someone saved it since; reload and edit again`);
    }
    const now = new Date(this.clock());
    const version = stored ? stored.version + 1 : 1;
    try {
      await this.versions.insertOne({ _id: ruleStateKey(rule.id, version), ruleId: rule.id, version, definition, createdAt: now });
    } catch (err) {
      // The unique version _id is the arbiter between two saves at the same moment (on any replica).
      if (isDuplicateKeyError(err)) throw new RuleConflictError(`rule "${rule.id}" version ${version} was saved by someone else a moment ago; reload and edit again`);
      throw err;
    }
    const enabled = 'enabled' in definition ? rule.enabled : (live?.enabled ?? true);
    const doc: Omit<StoredRule, '_id'> & { createdIn?: string } = {
      version,
      definition,
      enabled,
      removed: false,
      updatedAt: now,
      updatedBy: by,
      ...(stored?.configDefinition ? { configDefinition: stored.configDefinition } : {}),
      // Created here (or again after the file dropped it): the file never removes it.
      ...(!live || (stored as { createdIn?: string }).createdIn === 'console' ? { createdIn: 'console' } : {}),
    };
    await this.rules.replaceOne({ _id: rule.id }, doc, { upsert: true });
    this.invalidate();
    await this.audit.record({ actor: by, action: live ? 'edited' : 'created', subject: rule.id, outcome: 'done', version, before: live?.definition, after: definition, at: now });
    return { _id: rule.id, ...doc, rule };
  }

  /** A rule's stored versions, newest first. */
  async history(id: string): Promise<RuleVersion[]> {
    return this.versions.find({ ruleId: id }).sort({ version: -1 }).toArray();
  }

  /** The enabled rules, compiled, read at most every few seconds (a switch on another replica shows up soon). */
  async active(): Promise<ActiveRule[]> {
    const now = this.clock();
    if (this.cache && now - this.cache.at < CACHE_MS) return this.cache.active;
    // One read for every caller while it runs: under load a read takes seconds, and each POST, each new
    // alert and the correlator's rounds would otherwise start one of their own (3.4 reads a POST, measured).
    if (!this.reading) {
      const reading = this.read(now, this.generation).finally(() => {
        if (this.reading === reading) this.reading = undefined;
      });
      this.reading = reading;
    }
    return this.reading;
  }

  private reading?: Promise<ActiveRule[]>;
  /** Bumped by every write: a read that began before it neither serves later callers nor fills the cache. */
  private generation = 0;

  private invalidate(): void {
    this.cache = undefined;
    this.reading = undefined;
    this.generation++;
  }

  private async read(now: number, generation: number): Promise<ActiveRule[]> {
    const docs = await this.rules.find({ removed: false, enabled: true }).sort({ _id: 1 }).toArray();
    const active: ActiveRule[] = [];
    for (const doc of docs) {
      try {
        const rule = parseRule(doc.definition, `rule "${doc._id}"`);
        active.push({ rule, version: doc.version, compiled: compileRule(rule, ruleStateKey(rule.id, doc.version)) });
      } catch (err) {
        // Stored definitions were valid when stored; a schema change since is an operator's problem, not a crash.
        if (!(err instanceof RuleError)) throw err;
      }
    }
    if (generation === this.generation) this.cache = { at: now, active };
    return active;
  }

  async ensureIndexes(): Promise<void> {
    await ensureCollectionIndexes(this.versions, [{ key: { ruleId: 1, version: -1 }, name: 'ruleId_version' }]);
    await this.audit.ensureIndexes();
  }
}

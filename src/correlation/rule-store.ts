// Correlation rules in MongoDB, with versions. The config file is the source of rule definitions: at start
// each rule is compared with its stored definition and, when it changed, stored as a new version (a new
// version has a new state key, so it starts from fresh state: old free signals never fire a changed rule).
// Enabling and disabling is a switch on the stored rule (from Slack or the HTTP API), not a new version.
// Every replica reads the rules from MongoDB (cached for a few seconds), so a switch reaches all of them.
import { isDeepStrictEqual } from 'node:util';
import type { Collection, Db } from 'mongodb';
import { compileRule, parseRule, parseRules, RuleError, type CompiledRule, type Rule } from './rule.js';
import { isDuplicateKeyError } from '../store/mongo.js';
import { ensureCollectionIndexes } from '../store/collections.js';

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

export class RuleStore {
  readonly rules: Collection<StoredRule>;
  readonly versions: Collection<RuleVersion>;
  private cache?: { at: number; active: ActiveRule[] };

  constructor(
    db: Db,
    private readonly clock: () => number = Date.now,
  ) {
    this.rules = db.collection<StoredRule>(RULES_COLLECTION);
    this.versions = db.collection<RuleVersion>(RULE_VERSIONS_COLLECTION);
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
      if (stored && isDeepStrictEqual(stored.definition, definition)) {
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
        { version, definition, enabled: rule.enabled, removed: false, updatedAt: now, updatedBy: 'config' },
        { upsert: true },
      );
      (stored ? changed : added).push(rule.id);
    }
    const inFile = new Set(parsed.map((r) => r.id));
    const removed = [...existing.values()].filter((r) => !r.removed && !inFile.has(r._id)).map((r) => r._id);
    if (removed.length) await this.rules.updateMany({ _id: { $in: removed } }, { $set: { removed: true, updatedAt: now, updatedBy: 'config' } });
    this.cache = undefined;
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

  /** Switches a rule on or off; returns false when there is no such rule. */
  async setEnabled(id: string, enabled: boolean, by: string): Promise<boolean> {
    const result = await this.rules.updateOne({ _id: id, removed: false }, { $set: { enabled, updatedAt: new Date(this.clock()), updatedBy: by } });
    this.cache = undefined;
    return result.matchedCount === 1;
  }

  /** The enabled rules, compiled, read at most every few seconds (a switch on another replica shows up soon). */
  async active(): Promise<ActiveRule[]> {
    const now = this.clock();
    if (this.cache && now - this.cache.at < CACHE_MS) return this.cache.active;
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
    this.cache = { at: now, active };
    return active;
  }

  async ensureIndexes(): Promise<void> {
    await ensureCollectionIndexes(this.versions, [{ key: { ruleId: 1, version: -1 }, name: 'ruleId_version' }]);
  }
}

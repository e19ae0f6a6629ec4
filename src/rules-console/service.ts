// The rules console's operations, shared by the HTTP API (API keys) and the console pages (Slack sessions):
// rules saved as new versions and switched, enrichment saved, simulations started, field pickers read. Only
// members of a `correlation.admins` group change rules or enrichment (as in Slack); every change and every
// refusal is audited (`rule_audit` and an `audit` log line). Each operation answers an Outcome the caller maps
// to a response: validation problems come as field paths, for display next to the field.
import type { Db } from 'mongodb';
import type { Logger } from '../app/logger.js';
import type { Renderer } from '../plugins/types.js';
import type { Correlation } from '../correlation/service.js';
import { RuleConflictError, type StoredRule } from '../correlation/rule-store.js';
import { parseRule, RuleError, type Rule } from '../correlation/rule.js';
import type { RuleAuditAction } from '../correlation/rule-audit.js';
import { FieldSummary } from './field-summary.js';
import { EnrichmentInvalidError, EnrichmentStore, type Issue } from './enrichment-store.js';
import { SimulationJobs, TooManySimulationsError } from './simulations.js';

/** Someone acting: an API key (its groups) or a signed-in Slack user (the ACL groups). */
export interface Editor {
  actor: string;
  isMember(groups: readonly string[]): Promise<boolean>;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; status: 400 | 403 | 404 | 409 | 429; error: string; message: string; issues?: Issue[] };

const fail = (status: 400 | 403 | 404 | 409 | 429, error: string, message: string, issues?: Issue[]): Outcome<never> => ({ ok: false, status, error, message, ...(issues ? { issues } : {}) });

/**
 * A RuleError's problems as field paths. parseRule words each problem `<who>: <path>: <message>` where `who`
 * is `rule "<id>"` or the label `rule`; the path is what follows up to the next ": ".
 */
export function ruleIssues(err: RuleError): Issue[] {
  return err.problems.map((p) => {
    const rest = p.replace(/^rule(?: "(?:[^"\\]|\\.)*")?: /, '');
    const colon = rest.indexOf(': ');
    return colon < 0 ? { path: '(rule)', message: rest } : { path: rest.slice(0, colon), message: rest.slice(colon + 2) };
  });
}

/** Validates a definition without storing it. */
export function validateRule(definition: Record<string, unknown>): Outcome<Rule> {
  try {
    return { ok: true, value: parseRule(definition, 'rule') };
  } catch (err) {
    if (err instanceof RuleError) return fail(400, 'invalid_rule', 'the rule is not valid; see issues', ruleIssues(err));
    throw err;
  }
}

export class RulesConsole {
  readonly fields: FieldSummary;
  readonly enrichment: EnrichmentStore;
  readonly simulations: SimulationJobs;

  constructor(
    db: Db,
    private readonly deps: { correlation: Correlation; renderer: Renderer; logger: Logger; knownQueries: () => string[] },
  ) {
    this.fields = new FieldSummary(db, deps.logger);
    deps.correlation.signals.observers.push((stored) => this.fields.observe(stored));
    this.enrichment = new EnrichmentStore(db, { audit: deps.correlation.rules.audit, logger: deps.logger, knownQueries: deps.knownQueries });
    // The progress total from the field summary's day documents (read by _id): whole days, so about.
    this.simulations = new SimulationJobs(db, { renderer: deps.renderer, logger: deps.logger, estimate: async (since, until) => (await this.fields.report(since, until, 1)).signals });
  }

  /** At start, after the rules: the config's enrichment, then follow the stored set and count ingested fields. */
  async start(configEnrichment: Parameters<EnrichmentStore['syncFromConfig']>[0]): Promise<void> {
    await this.enrichment.syncFromConfig(configEnrichment);
    await this.enrichment.follow(this.deps.correlation.enricher);
    this.fields.start();
  }

  async stop(): Promise<void> {
    this.enrichment.stop();
    await this.simulations.stop();
    await this.fields.stop();
  }

  private get admins() {
    return this.deps.correlation.admins;
  }

  /** Null when `who` is a correlation admin; else the refusal, logged and audited. */
  private async refusal(who: Editor, action: RuleAuditAction, subject: string): Promise<Outcome<never> | null> {
    if (this.admins.length && (await who.isMember(this.admins))) return null;
    this.deps.logger.warn({ audit: 'rule_change_denied', actor: who.actor, action, subject }, 'rule change refused');
    await this.deps.correlation.rules.audit.record({ actor: who.actor, action, subject, outcome: 'denied' });
    return fail(
      403,
      'forbidden',
      this.admins.length ? `only members of ${this.admins.join(', ')} (correlation.admins) may change rules` : 'nobody may change rules: no group is named in correlation.admins in the config file',
    );
  }

  async saveRule(who: Editor, definition: Record<string, unknown>, options: { mode: 'create' | 'edit'; id?: string; baseVersion?: number }): Promise<Outcome<StoredRule & { rule: Rule }>> {
    const subject = options.id ?? (typeof definition.id === 'string' ? definition.id : '(new rule)');
    const denied = await this.refusal(who, options.mode === 'create' ? 'created' : 'edited', subject);
    if (denied) return denied;
    if (options.id !== undefined && definition.id !== options.id) return fail(400, 'invalid_rule', 'the definition names another rule', [{ path: 'id', message: `must be "${options.id}", the rule being edited (a new id is a new rule)` }]);
    const valid = validateRule(definition);
    if (!valid.ok) return valid;
    try {
      const saved = await this.deps.correlation.rules.save(definition, who.actor, { mode: options.mode, baseVersion: options.baseVersion });
      this.deps.logger.info({ audit: options.mode === 'create' ? 'rule_created' : 'rule_edited', actor: who.actor, rule: saved._id, version: saved.version }, `rule ${options.mode === 'create' ? 'created' : 'edited'}`);
      return { ok: true, value: saved };
    } catch (err) {
      if (err instanceof RuleConflictError) return fail(err.status, err.status === 404 ? 'not_found' : 'conflict', err.message);
      throw err;
    }
  }

  async saveEnrichment(who: Editor, rules: unknown[], baseVersion?: number) {
    const denied = await this.refusal(who, 'enrichment_edited', 'enrichment');
    if (denied) return denied;
    try {
      const saved = await this.enrichment.save(rules, who.actor, baseVersion);
      this.deps.logger.info({ audit: 'enrichment_edited', actor: who.actor, version: saved.version }, 'enrichment rules saved');
      return { ok: true as const, value: saved };
    } catch (err) {
      if (err instanceof EnrichmentInvalidError) return fail(400, 'invalid_enrichment', 'the enrichment rules are not valid; see issues', err.issues);
      if (err instanceof RuleConflictError) return fail(409, 'conflict', err.message);
      throw err;
    }
  }

  /** Anyone who may read signals may simulate: it changes nothing. */
  async startSimulation(who: Editor, input: { definition?: Record<string, unknown>; ruleId?: string; since: Date; until?: Date }): Promise<Outcome<{ id: string }>> {
    let definition = input.definition;
    if (input.ruleId !== undefined) {
      const stored = await this.deps.correlation.rules.get(input.ruleId);
      if (!stored) return fail(404, 'not_found', `no rule ${input.ruleId}`);
      definition = stored.definition;
    }
    const valid = validateRule(definition!);
    if (!valid.ok) return valid;
    try {
      return { ok: true, value: { id: await this.simulations.start(valid.value, definition!, input.since, input.until ?? new Date(), who.actor) } };
    } catch (err) {
      if (err instanceof TooManySimulationsError) return fail(429, 'busy', err.message);
      throw err;
    }
  }
}

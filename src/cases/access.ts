// Who may do what with cases, from the `cases` config section, checked on every action whether it comes from
// Slack or the HTTP API. Refusals are audited: a log line with an `audit` field and a `case_audit` record.
import type { Collection } from 'mongodb';
import type { Logger } from '../app/logger.js';
import type { CasesConfig } from './config.js';
import type { Actor } from './model.js';

export type CaseAction = 'create' | 'work' | 'close' | 'reopen' | 'retry-sync';

/** Someone acting: a Slack user (groups resolved by the ACL) or an API key (acting as its groups). */
export interface Principal {
  actor: Actor;
  isMember(groups: readonly string[]): Promise<boolean>;
}

export interface CaseAuditDoc {
  at: Date;
  actor: Actor;
  action: CaseAction;
  team?: string;
  caseId?: string;
  number?: number;
  outcome: 'denied';
  groups: string[];
}

const VERB: Record<CaseAction, string> = {
  create: 'create cases',
  work: 'change cases',
  close: 'close cases',
  reopen: 'reopen cases',
  'retry-sync': 'retry a case sync',
};

export class CaseAccess {
  constructor(
    private readonly config: CasesConfig,
    private readonly audit: Collection<CaseAuditDoc>,
    private readonly logger: Logger,
  ) {}

  /** The ACL groups allowed to do `action` on a case of `team`. */
  groupsFor(action: CaseAction, team: string | undefined): string[] {
    const t = team ? this.config.teams[team] : undefined;
    switch (action) {
      case 'create':
      case 'work':
        return [...this.config.soc, ...(t?.members ?? []), ...(t?.leads ?? [])];
      case 'close':
      case 'reopen':
        return [...(t?.leads ?? []), ...this.config.admins];
      case 'retry-sync':
        return [...this.config.admins];
    }
  }

  /** Null when allowed; else the refusal to show (already logged and recorded). */
  async refusal(who: Principal, action: CaseAction, subject: { team?: string; caseId?: string; number?: number }): Promise<string | null> {
    const groups = [...new Set(this.groupsFor(action, subject.team))];
    if (groups.length && (await who.isMember(groups))) return null;
    const what = subject.number !== undefined ? `case #${subject.number}` : `team ${subject.team ?? '(none)'}`;
    this.logger.warn({ audit: 'case_acl_denied', actor: who.actor, action, team: subject.team, case: subject.caseId, groups }, 'case action refused by ACL');
    await this.audit
      .insertOne({ at: new Date(), actor: who.actor, action, ...subject, outcome: 'denied', groups })
      .catch((err: unknown) => this.logger.error({ err }, 'could not record a case ACL refusal'));
    return groups.length
      ? `You may not ${VERB[action]} for ${what}: that takes membership of ${groups.map((g) => `\`${g}\``).join(' or ')}. Nothing was changed.`
      : `Nobody may ${VERB[action]} for ${what} yet: an admin sets the ACL groups in the config file (\`cases.soc\`, \`cases.admins\`, \`cases.teams.<team>.members\` / \`leads\`). Nothing was changed.`;
  }
}

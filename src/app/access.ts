// ACL groups from the config file: members by Slack user id, by e-mail, or by Slack user group.
// E-mail and user-group lookups go through the Web API and are cached briefly (a cache, not state: every
// replica can rebuild it).
import type { WebClient } from '@slack/web-api';
import type { GroupConfig } from './config.js';
import type { AccessControl } from '../plugins/types.js';
import type { Logger } from './logger.js';
import { own } from './own.js';

const CACHE_MS = 5 * 60_000;

interface Cached<T> {
  value: T;
  until: number;
}

export class GroupAccess implements AccessControl {
  private readonly emails = new Map<string, Cached<string | undefined>>();
  private readonly usergroups = new Map<string, Cached<Set<string>>>();

  constructor(
    private readonly groups: Record<string, GroupConfig>,
    private readonly slack: WebClient,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  knows(group: string): boolean {
    return Object.hasOwn(this.groups, group);
  }

  async isMember(userId: string, groupNames: readonly string[]): Promise<boolean> {
    for (const name of groupNames) {
      const group = own(this.groups, name);
      if (!group) continue; // unknown groups grant nothing; config validation reports them at start
      if (group.users.includes(userId)) return true;
      if (group.emails.length) {
        const email = await this.emailOf(userId);
        if (email && group.emails.some((e) => e.toLowerCase() === email)) return true;
      }
      for (const usergroup of group.usergroups) {
        if ((await this.membersOf(usergroup)).has(userId)) return true;
      }
    }
    return false;
  }

  private async emailOf(userId: string): Promise<string | undefined> {
    const hit = this.emails.get(userId);
    if (hit && hit.until > this.now()) return hit.value;
    try {
      const res = await this.slack.users.info({ user: userId });
      const email = res.user?.profile?.email?.toLowerCase();
      this.emails.set(userId, { value: email, until: this.now() + CACHE_MS });
      return email;
    } catch (err) {
      this.logger.warn({ err, userId }, 'cannot look up a user e-mail for an ACL check; treating as not a member');
      return undefined;
    }
  }

  private async membersOf(usergroup: string): Promise<Set<string>> {
    const hit = this.usergroups.get(usergroup);
    if (hit && hit.until > this.now()) return hit.value;
    try {
      const res = await this.slack.usergroups.users.list({ usergroup });
      const members = new Set(res.users ?? []);
      this.usergroups.set(usergroup, { value: members, until: this.now() + CACHE_MS });
      return members;
    } catch (err) {
      this.logger.warn({ err, usergroup }, 'cannot list a Slack user group for an ACL check; treating as empty');
      return new Set();
    }
  }
}

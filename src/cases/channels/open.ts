// Opens a Slack channel for a case: conversations.create (`name_taken` -> -2, -3, ...), recorded on the case
// (`channel_opened`, with who asked) and in `case_channels` before anything else, so its messages are logged
// from the first; then the people are invited, the topic and purpose set, and the case summary posted and
// pinned. What fails after the channel exists is reported to the asker, not fatal: the channel is there.
import type { WebClient } from '@slack/web-api';
import type { GroupConfig } from '../../app/config.js';
import type { Logger } from '../../app/logger.js';
import { escapeMrkdwn } from '../../blocks/escape.js';
import { truncateText } from '../../blocks/truncate.js';
import type { CaseAccess, Principal } from '../access.js';
import type { CasesConfig } from '../config.js';
import { CaseForbiddenError, CaseInputError, type OpenChannelOptions, type OpenedChannel, type StoredCase } from '../model.js';
import { caseName } from '../present.js';
import type { CaseService } from '../service.js';
import { caseChannelName } from './names.js';
import type { CaseChannelDoc, CaseChannelStore } from './store.js';

/** conversations.invite takes up to 100 user ids per call (shared/contracts/EXTERNAL_APIS.md 2.6). */
export const INVITE_BATCH = 100;
const MAX_NAME_TRIES = 100;
const MAX_TOPIC = 250;
/** Invite errors that concern one user: the batch is retried user by user to find who. */
const USER_ERRORS = new Set(['user_not_found', 'cant_invite_self', 'already_in_channel', 'cant_invite', 'user_is_restricted', 'user_is_ultra_restricted', 'user_disabled', 'not_allowed_token_type', 'ura_max_channels', 'no_permission', 'user_team_not_in_channel', 'invalid_users']);



export interface OpenChannelDeps {
  service: CaseService;
  access: CaseAccess;
  channels: CaseChannelStore;
  slack: WebClient;
  config: CasesConfig;
  groups: Record<string, GroupConfig>;
  logger: Logger;
  botUserId(): Promise<string | undefined>;
  /** Called with the new channel once stored (the log's cache, a first backfill). */
  opened(doc: CaseChannelDoc): void;
}

const slackError = (err: unknown): string | undefined => (err as { data?: { error?: unknown } }).data?.error as string | undefined;
const isSlackUser = (id: string | undefined): boolean => Boolean(id && /^[UW][A-Z0-9]+$/.test(id));

export async function openCaseChannel(deps: OpenChannelDeps, who: Principal, ref: string | number, options: OpenChannelOptions = {}): Promise<OpenedChannel> {
  const c = await deps.service.require(ref);
  const refusal = await deps.access.refusal(who, 'work', { ...(c.team ? { team: c.team } : {}), caseId: c._id, number: c.number });
  if (refusal) throw new CaseForbiddenError(refusal);
  const isPrivate = options.private ?? (c.tags.includes('private') || deps.config.channels.private);
  const { id, name } = await createChannel(deps.slack, c, isPrivate, options.name);
  const doc: CaseChannelDoc = { _id: id, caseId: c._id, caseNumber: c.number, name, private: isPrivate, createdAt: new Date(), createdBy: who.actor, threads: [] };
  await deps.channels.add(doc);
  deps.opened(doc);
  await deps.service.appendLog(c._id, who.actor, 'channel_opened', { channel: id, name, private: isPrivate, requestedBy: who.actor });
  deps.logger.info({ case: c._id, number: c.number, channel: id, name, private: isPrivate, actor: who.actor }, 'case channel opened');

  const problems: string[] = [];
  const step = async (what: string, call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (err) {
      problems.push(`${what}: ${slackError(err) ?? (err as Error).message}`);
      deps.logger.warn({ err, channel: id, case: c._id }, `case channel: could not ${what}`);
    }
  };
  const people = await peopleOf(deps, c, who.actor);
  const bot = await deps.botUserId();
  const { invited, failedInvites } = await invite(deps.slack, id, people.filter((u) => u !== bot));
  const link = deps.service.link(c);
  await step('set the topic', () => deps.slack.conversations.setTopic({ channel: id, topic: truncateText(`Case #${c.number}: ${c.title} (${c.severity})`, MAX_TOPIC) }));
  await step('set the purpose', () => deps.slack.conversations.setPurpose({ channel: id, purpose: truncateText(`Work on case #${c.number}${link ? `: ${link}` : ''}. Every message here is logged on the case.`, MAX_TOPIC) }));
  let summaryTs: string | undefined;
  await step('post the case summary', async () => {
    summaryTs = (await deps.slack.chat.postMessage({ channel: id, text: summaryText(c, link, who.actor), unfurl_links: false })).ts;
  });
  if (summaryTs) await step('pin the case summary', () => deps.slack.pins.add({ channel: id, timestamp: summaryTs! }));
  return { channel: { id, name, private: isPrivate }, invited, failedInvites, problems };
}

async function createChannel(slack: WebClient, c: StoredCase, isPrivate: boolean, wanted?: string): Promise<{ id: string; name: string }> {
  for (let n = 1; n <= MAX_NAME_TRIES; n++) {
    const name = wanted ? (n === 1 ? wanted : `${wanted.slice(0, 80 - String(n).length - 1)}-${n}`) : caseChannelName(c.number, c.title, n);
    try {
      const res = await slack.conversations.create({ name, is_private: isPrivate });
      return { id: res.channel!.id!, name: res.channel!.name ?? name };
    } catch (err) {
      const code = slackError(err);
      if (code === 'name_taken') continue;
      if (code?.startsWith('invalid_name')) throw new CaseInputError([{ field: 'name', message: `Slack refused the channel name ${name} (${code}): lower-case letters, digits, - and _, at most 80 characters` }]);
      throw err;
    }
  }
  throw new CaseInputError([{ field: 'name', message: `every name up to -${MAX_NAME_TRIES} is taken` }]);
}

/** The requester, the assignee and the members and leads of the case's team: Slack user ids, once each. */
async function peopleOf(deps: OpenChannelDeps, c: StoredCase, requester: string): Promise<string[]> {
  const users = new Set<string>();
  if (isSlackUser(requester)) users.add(requester);
  if (c.assignee && isSlackUser(c.assignee)) users.add(c.assignee);
  else if (c.assignee?.includes('@')) {
    const found = await lookupEmail(deps, c.assignee);
    if (found) users.add(found);
  }
  const team = c.team ? deps.config.teams[c.team] : undefined;
  for (const groupName of new Set([...(team?.members ?? []), ...(team?.leads ?? [])])) {
    const group = Object.hasOwn(deps.groups, groupName) ? deps.groups[groupName] : undefined;
    if (!group) continue;
    for (const u of group.users) users.add(u);
    for (const email of group.emails) {
      const found = await lookupEmail(deps, email);
      if (found) users.add(found);
    }
    for (const usergroup of group.usergroups) {
      try {
        for (const u of (await deps.slack.usergroups.users.list({ usergroup })).users ?? []) users.add(u);
      } catch (err) {
        deps.logger.warn({ err, usergroup }, 'case channel: could not list a Slack user group to invite');
      }
    }
  }
  return [...users];
}

async function lookupEmail(deps: OpenChannelDeps, email: string): Promise<string | undefined> {
  try {
    return (await deps.slack.users.lookupByEmail({ email })).user?.id;
  } catch (err) {
    deps.logger.warn({ err: slackError(err) ?? err }, 'case channel: no Slack user for an e-mail to invite');
    return undefined;
  }
}

/** Invites in batches; a batch refused for one user is retried user by user, so only that user is reported. */
export async function invite(slack: WebClient, channel: string, users: string[]): Promise<Pick<OpenedChannel, 'invited' | 'failedInvites'>> {
  const invited: string[] = [];
  const failedInvites: OpenedChannel['failedInvites'] = [];
  const one = async (batch: string[]): Promise<string | undefined> => {
    try {
      await slack.conversations.invite({ channel, users: batch.join(',') });
      return undefined;
    } catch (err) {
      return slackError(err) ?? (err as Error).message;
    }
  };
  for (let i = 0; i < users.length; i += INVITE_BATCH) {
    const batch = users.slice(i, i + INVITE_BATCH);
    const error = await one(batch);
    if (!error) {
      invited.push(...batch);
      continue;
    }
    if (batch.length > 1 && USER_ERRORS.has(error)) {
      for (const user of batch) {
        const e = await one([user]);
        if (!e || e === 'already_in_channel') invited.push(user);
        else failedInvites.push({ user, error: e });
      }
    } else if (error === 'already_in_channel') invited.push(...batch);
    else failedInvites.push(...batch.map((user) => ({ user, error })));
  }
  return { invited, failedInvites };
}

function summaryText(c: StoredCase, link: string | undefined, requester: string): string {
  const who = isSlackUser(requester) ? `<@${requester}>` : escapeMrkdwn(requester);
  return [
    `${caseName(c, link)} · *${c.severity}* · ${c.status}${c.team ? ` · team ${escapeMrkdwn(c.team)}` : ''}`,
    c.description ? truncateText(escapeMrkdwn(c.description), 1500) : '_No description._',
    `Alerts: ${c.alertIds.length} · observables: ${c.observables.length} · assigned to ${isSlackUser(c.assignee) ? `<@${c.assignee}>` : escapeMrkdwn(c.assignee ?? 'nobody')}`,
    `Opened for ${who}. Every message in this channel (edits, deletions and files too) is logged on the case${link ? `: ${link}` : '.'}`,
  ].join('\n');
}

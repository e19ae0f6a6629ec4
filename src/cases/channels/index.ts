// Case channels, built once per process: open a channel for a case, log every message of case channels as case
// events, backfill what was missed (at start and every `cases.channels.backfillEvery`). The Slack side (the
// button, `/case channel`, the message events) is the cases plugin's; it calls this through ctx.cases.
import type { WebClient } from '@slack/web-api';
import type { Db } from 'mongodb';
import type { GroupConfig } from '../../app/config.js';
import type { Logger } from '../../app/logger.js';
import type { JobRunner } from '../../jobs/scheduler.js';
import type { CaseAccess, Principal } from '../access.js';
import type { CasesConfig } from '../config.js';
import type { CaseService } from '../service.js';
import type { CaseStore } from '../store.js';
import { backfillAll, backfillChannel, type BackfillResult } from './backfill.js';
import { ChannelLog } from './log.js';
import type { OpenChannelOptions, OpenedChannel } from '../model.js';
import { openCaseChannel } from './open.js';
import { CaseChannelStore, type CaseChannelDoc } from './store.js';

export const CASE_CHANNEL_BACKFILL_JOB = 'core.case-channel-backfill';

export interface CaseChannelsDeps {
  db: Db;
  store: CaseStore;
  service: CaseService;
  access: CaseAccess;
  slack: WebClient;
  config: CasesConfig;
  groups: Record<string, GroupConfig>;
  logger: Logger;
}

export class CaseChannels {
  readonly store: CaseChannelStore;
  readonly log: ChannelLog;
  private botUser?: Promise<string | undefined>;

  constructor(private readonly deps: CaseChannelsDeps) {
    this.store = new CaseChannelStore(deps.db);
    this.log = new ChannelLog({ channels: this.store, store: deps.store, service: deps.service, slack: deps.slack, logger: deps.logger });
  }

  ensureIndexes(): Promise<void> {
    return this.store.ensureIndexes();
  }

  open(who: Principal, ref: string | number, options: OpenChannelOptions = {}): Promise<OpenedChannel> {
    return openCaseChannel(
      {
        ...this.deps,
        channels: this.store,
        botUserId: () => (this.botUser ??= this.deps.slack.auth.test().then((r) => r.user_id, () => undefined)),
        opened: (doc) => this.log.remember(doc),
      },
      who,
      ref,
      options,
    ).then((opened) => {
      // Taser's own summary and the joins reach no listener (Bolt drops the app's own events): read them back now.
      void this.store.get(opened.channel.id).then((doc) => doc && this.backfill(doc)).catch((err: unknown) => this.deps.logger.warn({ err, channel: opened.channel.id }, 'first backfill of a new case channel failed; the periodic one retries'));
      return opened;
    });
  }

  /** A Slack message event (any channel): logged when it is a case channel's. */
  onMessageEvent(event: unknown): Promise<number> {
    return this.log.onEvent(event);
  }

  forCase(caseId: string): Promise<CaseChannelDoc[]> {
    return this.store.forCase(caseId);
  }

  backfill(doc: CaseChannelDoc): Promise<{ read: number; logged: number }> {
    return backfillChannel(this.backfillDeps(), doc);
  }

  backfillAll(touch?: () => Promise<void>): Promise<BackfillResult> {
    return backfillAll(this.backfillDeps(), touch);
  }

  /** The backfill job: now (what happened while taser was down), then every `cases.channels.backfillEvery`. */
  async register(jobs: JobRunner): Promise<void> {
    jobs.define(CASE_CHANNEL_BACKFILL_JOB, async (_data, job) => void (await this.backfillAll(job.touch)), { lockLifetimeMs: 30 * 60_000, concurrency: 1 });
    await jobs.port().every({ name: CASE_CHANNEL_BACKFILL_JOB }, this.deps.config.channels.backfillEvery, undefined);
    await jobs.port().now({ name: CASE_CHANNEL_BACKFILL_JOB }, undefined);
  }

  private backfillDeps() {
    return { channels: this.store, log: this.log, slack: this.deps.slack, logger: this.deps.logger };
  }
}

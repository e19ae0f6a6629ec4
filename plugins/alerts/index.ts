// Alert cards: a new alert posts its card to its team's channel, appended signals update it (coalesced),
// and the card's buttons let the team acknowledge, snooze, close and look up its artifacts. Every post and
// update goes through a durable outbox, so a Slack outage or a restart loses nothing.
import { z } from 'zod';
import type { PluginContext } from '../../src/plugins/types.js';
import type { StoredAlert } from '../../src/correlation/alert-store.js';
import type { StoredCase } from '../../src/cases/model.js';
import { definePlugin } from '../../src/plugins/define.js';
import { configSchema, type AlertsConfig } from './config.js';
import { registerOutbox } from './outbox.js';
import { registerCardActions } from './actions.js';
import { registerCommands } from './commands.js';
import { deliveries, ensureDeliveryIndexes } from './deliveries.js';
import { registerDeliveryMetrics } from './metrics.js';

type Ctx = PluginContext<AlertsConfig>;

export default definePlugin({
  namespace: 'alerts',
  description: 'Posts alert cards to team channels, keeps them up to date, and handles their buttons',
  config: configSchema,
  enabledByDefault: true,
  // chat.postMessage and chat.update of cards, lookup answers in their threads, admin notices.
  // *:history: after a crash mid-post, the card outbox looks for the card it may have posted before posting again.
  slack: { scopes: ['chat:write', 'channels:history', 'groups:history'] },
  exampleConfig: {
    teams: { appsec: { group: 'appsec', leads: 'leads', threshold: 'medium' } },
    defaultGroup: 'soc',
    defaultThreshold: 'low',
    updateIntervalSeconds: 30,
    maxAttempts: 8,
  },
  setup(plugin) {
    const actions = registerCardActions(plugin, {
      updateCard: (ctx, alert) => outbox.request(ctx, alert, { urgent: true }),
    });
    const outbox = registerOutbox(plugin, { buttons: (alert, ctx) => actions.buttons(alert, ctx.cases.alertActions, ctx.confirmations.askAction) });
    registerCommands(plugin);

    const sweep = plugin.job({
      name: 'sweep',
      data: z.object({}),
      async handler(_input, ctx) {
        // An alert whose 'created' listener failed before its delivery row was written still gets its card.
        // Ids first: a day of alerts, whole, is thousands of documents with their signals and history; only the few
        // without a delivery row are read in full.
        const recent = await ctx.correlation.alerts.collection.find({ createdAt: { $gte: new Date(Date.now() - 86_400_000) } }).project<{ _id: string }>({ _id: 1 }).toArray();
        const known = new Set((await deliveries(ctx).find({ _id: { $in: recent.map((a) => a._id) } }).project<{ _id: string }>({ _id: 1 }).toArray()).map((d) => d._id));
        const missing = recent.filter((a) => !known.has(a._id)).map((a) => a._id);
        const alerts = missing.length ? await ctx.correlation.alerts.collection.find({ _id: { $in: missing } }).toArray() : [];
        await Promise.all(alerts.map((alert) => outbox.request(ctx, alert))); // one burst
        await ctx.scheduler.now(outbox.job, { reason: 'sweep' });
        // Claim records only matter while a send can still be running.
        await ctx.collection('claims').deleteMany({ at: { $lt: new Date(Date.now() - 86_400_000) } });
      },
    });

    plugin.onStart(async (ctx) => {
      await ensureDeliveryIndexes(ctx);
      registerDeliveryMetrics(ctx);
      // Listener errors are ours to handle: log them; the delivery row (if written) is retried by the sweep.
      const handle = (what: string, alert: StoredAlert) =>
        outbox.request(ctx, alert).catch((err: unknown) => ctx.logger.error({ err, alert: alert._id }, `could not queue the card of ${what} alert`));
      ctx.correlation.events.on('created', (alert) => void handle('a new', alert));
      ctx.correlation.events.on('updated', (alert) => void handle('an updated', alert));
      // A confirmation's answer or step noted on the alert is shown at once, not at the next coalesced update.
      ctx.correlation.events.on('noted', (alert) =>
        void outbox.request(ctx, alert, { urgent: true }).catch((err: unknown) => ctx.logger.error({ err, alert: alert._id }, 'could not queue the card of a noted alert')),
      );
      // A case opened from (or gaining, or losing) an alert, or getting its backend link: redraw its cards now.
      const CARD_KINDS = new Set(['created', 'alerts_added', 'backend_linked', 'closed', 'reopened']);
      const redraw = (c: StoredCase, kind: string) => {
        if (!CARD_KINDS.has(kind)) return;
        for (const id of c.alertIds) {
          void ctx.correlation.alerts.get(id)
            .then((alert) => alert && outbox.request(ctx, alert, { urgent: true }))
            .catch((err: unknown) => ctx.logger.error({ err, alert: id, case: c._id }, 'could not queue the card of an alert in a case'));
        }
      };
      ctx.cases.events.on('created', (c, event) => redraw(c, event.kind));
      ctx.cases.events.on('updated', (c, event) => redraw(c, event.kind));
      // Resume what a previous process left pending, and keep a slow sweep for jobs lost between store and schedule.
      await ctx.scheduler.now(outbox.job, { reason: 'start' });
      await ctx.scheduler.every(sweep, ctx.config.sweepEvery, {});
    });
  },
});

export type { Ctx as AlertsContext };

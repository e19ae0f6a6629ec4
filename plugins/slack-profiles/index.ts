// slack-profiles: USER_INFO and USER_MANAGER from the workspace's Slack profiles, through the bot's client.
// The manager lives in a custom profile field the workspace admin defines; its id is `managerField`.
import { z } from 'zod';
import { definePlugin } from '../../src/plugins/define.js';
import { USER_INFO, USER_MANAGER } from '../../src/positron/query-types.js';
import { findSlackUser, parseUserRef, personOf, readProfileField } from './slack-users.js';

/** A manager field that holds something we cannot look up (a plain name) is a weaker answer. */
const UNRESOLVED_MANAGER_CONFIDENCE = 0.5;
/** A deactivated manager is probably a stale field. */
const DEACTIVATED_MANAGER_CONFIDENCE = 0.5;

export default definePlugin({
  namespace: 'slack-profiles',
  description: 'Who a user is and who their manager is, from Slack profiles',
  config: z.strictObject({
    /** The custom profile field holding the manager (a Slack user id or an e-mail); absent: no USER_MANAGER. */
    managerField: z.string().regex(/^Xf[A-Z0-9]+$/, 'must be a Slack custom profile field id such as Xf0123ABC').optional(),
  }),
  enabledByDefault: false,
  // users.lookupByEmail, users.info (with the e-mail) and users.profile.get (the manager field).
  slack: { scopes: ['users:read', 'users:read.email', 'users.profile:read'] },
  exampleConfig: { managerField: 'Xf0123ABC' },
  setup(plugin) {
    plugin.query({
      type: USER_INFO,
      name: 'user-info',
      async answer({ user }, { signal, ctx }) {
        const found = await findSlackUser(ctx.slack, parseUserRef(user), signal);
        if (!found) return [];
        const title = found.profile?.title || undefined;
        return [{ value: { ...personOf(found), ...(title ? { title } : {}), ...(found.deleted ? { status: 'deactivated' } : {}) } }];
      },
    });

    const managerField = plugin.config.managerField;
    if (!managerField) return;
    plugin.query({
      type: USER_MANAGER,
      name: 'user-manager',
      async answer({ user }, { signal, ctx }) {
        const subject = await findSlackUser(ctx.slack, parseUserRef(user), signal);
        if (!subject) return [];
        const value = await readProfileField(ctx.slack, subject.id, managerField, signal);
        if (!value) return [];
        const ref = parseUserRef(value);
        if (ref.kind === 'other') return [{ value: { manager: { displayName: ref.text } }, confidence: UNRESOLVED_MANAGER_CONFIDENCE }];
        const manager = await findSlackUser(ctx.slack, ref, signal);
        // An e-mail Slack does not know is still the manager's e-mail; an unknown user id says nothing.
        if (!manager) return ref.kind === 'email' ? [{ value: { manager: { email: ref.email } }, confidence: UNRESOLVED_MANAGER_CONFIDENCE }] : [];
        return [{ value: { manager: personOf(manager) }, ...(manager.deleted ? { confidence: DEACTIVATED_MANAGER_CONFIDENCE } : {}) }];
      },
    });
  },
});

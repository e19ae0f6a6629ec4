// Web API methods of the Slack fake that confirmation flows use (shared/contracts/EXTERNAL_APIS.md 2.6):
// conversations.open, which opens (or finds) the DM with one user and answers its id.
import type { SlackFake } from './slack-fake.js';

type Args = Record<string, unknown>;
type Result = Record<string, unknown> | { error: string };

export const confirmMethods: Record<string, (fake: SlackFake, args: Args) => Result> = {
  'conversations.open': (fake, args) => {
    const users = typeof args.users === 'string' ? args.users.split(',').filter(Boolean) : [];
    if (!users.length) return { error: 'users_list_not_supplied' };
    if (users.length > 1) return { error: 'not_implemented' }; // group DMs: not needed here
    const user = fake.users.get(users[0]!);
    if (!user) return { error: 'user_not_found' };
    if (user.deleted) return { error: 'user_disabled' };
    const id = `D${user.id.slice(1)}`;
    if (!fake.channels.has(id)) fake.addChannel({ id, name: id, members: [user.id] });
    return { channel: { id }, no_op: false, already_open: false };
  },
};

// `/positron QUERY ARGS [--share]` and `/positron help`: Positron's Slack interface. Results are ephemeral
// unless --share posts them in the channel.
import { definePlugin } from '../../src/plugins/define.js';
import { UserError } from '../../src/app/errors.js';
import { AccessDeniedError, UnknownQueryError } from '../../src/positron/service.js';
import { UsageError } from '../../src/positron/query-types.js';
import { presentResult } from '../../src/positron/present.js';

const USAGE = '/positron QUERY ARGS [--share]';

export default definePlugin({
  namespace: 'positron',
  description: 'Ask every data source a standard question from Slack',
  enabledByDefault: true,
  setup(plugin) {
    plugin.templates('templates');
    plugin.command({
      command: '/positron',
      usage: USAGE,
      description: 'Ask every data source a standard question, e.g. `/positron IP_TO_HOSTNAME 10.1.2.3`; `/positron help` lists the queries you may run.',
      async handler({ args, user, respond }, ctx) {
        const caller = { kind: 'slack' as const, userId: user.id };
        const share = args.includes('--share');
        const words = args.filter((a) => a !== '--share');
        const [query, ...rest] = words;
        if (!query || query.toLowerCase() === 'help') {
          // Every query, each saying what would keep it from answering this person.
          const queries = await ctx.positron.describeQueries(caller);
          const note = (q: (typeof queries)[number]) =>
            !q.allowed
              ? q.groups.length
                ? `Not for you: it needs the group ${q.groups.map((g) => `\`${g}\``).join(' or ')}.`
                : 'Not for you: it is sensitive and positron.acl allows no group.'
              : q.providers === 0
                ? 'No enabled plugin answers it: it will come back empty.'
                : null;
          await respond(
            ctx.templates.render('positron:help', {
              queries: queries.map((q) => ({ usage: q.usage, description: q.description, note: note(q)})),
              usage: USAGE,
            }),
          );
          return;
        }
        let result;
        try {
          result = await ctx.positron.run(caller, query, { args: rest });
        } catch (err) {
          if (err instanceof UsageError || err instanceof AccessDeniedError || err instanceof UnknownQueryError) {
            throw new UserError(err instanceof UnknownQueryError ? `${err.message}. Try \`/positron help\`.` : err.message);
          }
          throw err;
        }
        const message = ctx.templates.render('positron-result', presentResult(result));
        await respond({ ...message, response_type: share ? 'in_channel' : 'ephemeral' });
      },
    });
  },
});

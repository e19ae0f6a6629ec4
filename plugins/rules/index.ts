// `/taser rules`: the correlation rules from Slack. Everyone may list and show them (they say what taser
// alerts on); only members of a `correlation.admins` group may enable or disable one, and every switch and
// every refusal is logged for audit.
import { definePlugin } from '../../src/plugins/define.js';
import { UserError } from '../../src/app/errors.js';
import type { StoredRule } from '../../src/correlation/rule-store.js';
import type { Rule } from '../../src/correlation/rule.js';
import { escapeMrkdwn } from '../../src/blocks/escape.js';
import { normalizeTypeName } from '../../src/signals/normalize.js';

const USAGE = '/taser rules [list | show <id> | enable <id> | disable <id>]';

function describeRule(rule: Rule): string {
  const parts = rule.parts
    .map((p) => `${p.count} × ${[p.match.type?.map(normalizeTypeName).join(' or ') ?? 'any type', p.match.source && `from ${p.match.source.join('/')}`].filter(Boolean).join(' ')}`)
    .join(rule.ordered ? ' then ' : ' + ');
  const by = rule.groupBy.length ? ` by ${rule.groupBy.join(', ')}` : '';
  return `${parts} within ${rule.windowMs / 60_000} min${by}`;
}

function line(r: StoredRule & { rule: Rule }): string {
  const state = r.enabled ? ':large_green_circle: on' : ':white_circle: off';
  return `${state}  \`${r._id}\` v${r.version} · ${r.rule.severity}${r.rule.team ? ` · team ${escapeMrkdwn(r.rule.team)}` : ''} · ${escapeMrkdwn(describeRule(r.rule))}`;
}

export default definePlugin({
  namespace: 'rules',
  description: 'Lists, shows, enables and disables correlation rules from Slack',
  enabledByDefault: true,
  setup(plugin) {
    plugin.command({
      command: '/taser',
      subcommand: 'rules',
      usage: USAGE,
      description: 'List the correlation rules; admins enable or disable one',
      async handler({ args, user, respond }, ctx) {
        const [verb = 'list', id, ...extra] = args;
        const rules = ctx.correlation.rules;
        if (verb === 'list' && !id) {
          const all = await rules.list();
          if (!all.length) return respond('No correlation rules are configured (`rules:` in the config file).');
          return respond({ text: `${all.length} correlation rules`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: all.map(line).join('\n').slice(0, 3000) } }] });
        }
        if (!['show', 'enable', 'disable'].includes(verb) || !id || extra.length) throw new UserError(`usage: ${USAGE}`);
        const found = await rules.get(id);
        if (!found) throw new UserError(`There is no rule \`${escapeMrkdwn(id)}\`. \`/taser rules\` lists them.`);
        if (verb === 'show') {
          const text = `${line(found)}\nlast changed by ${escapeMrkdwn(found.updatedBy)} at ${found.updatedAt.toISOString()}\n\`\`\`${escapeMrkdwn(JSON.stringify(found.definition, null, 2))}\`\`\``;
          return respond({ text: `rule ${found._id}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }] });
        }
        const enable = verb === 'enable';
        if (!ctx.correlation.admins.length || !(await ctx.access.isMember(user.id, ctx.correlation.admins))) {
          ctx.logger.warn({ audit: 'rule_switch_denied', user: user.id, rule: id, enable }, 'rule switch refused');
          await rules.audit.record({ actor: user.id, action: enable ? 'enabled' : 'disabled', subject: id, outcome: 'denied' });
          throw new UserError(
            ctx.correlation.admins.length
              ? `Only members of ${ctx.correlation.admins.map((g) => `\`${g}\``).join(', ')} may ${verb} rules.`
              : 'Nobody may switch rules: no group is named in `correlation.admins` in the config file.',
          );
        }
        await rules.setEnabled(id, enable, user.id);
        ctx.logger.info({ audit: 'rule_switched', user: user.id, rule: id, enabled: enable }, `rule ${verb}d`);
        await respond(`Rule \`${escapeMrkdwn(id)}\` is now ${enable ? 'enabled' : 'disabled'}.`);
      },
    });
  },
});

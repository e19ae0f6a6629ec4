// A plugin's Slack declaration (scopes, event subscriptions) checked against the listeners it registered, at load.

import type { SlackNeeds } from './types.js';

const SCOPE = /^[a-z][a-z_.]*(:[a-z][a-z_.]*)?$/;
const EVENT = /^[a-z_]+(\.[a-z_]+)?$/;

/** The Bolt listener type an event subscription delivers: "message.channels" arrives as "message". */
function listenerType(subscription: string): string {
  return subscription.split('.')[0]!;
}

/**
 * Problems with one plugin's Slack declaration against the event listeners it registered: an event it
 * subscribes to with no listener, or a listener for events it never subscribes to (Slack would send nothing).
 */
export function slackNeedsProblems(namespace: string, needs: SlackNeeds | undefined, listenerTypes: string[]): string[] {
  const problems: string[] = [];
  const declared = needs?.events ?? [];
  for (const scope of needs?.scopes ?? []) {
    if (!SCOPE.test(scope)) problems.push(`plugin "${namespace}": slack.scopes: ${JSON.stringify(scope)} is not a Slack scope such as "chat:write"`);
  }
  for (const event of declared) {
    if (!EVENT.test(event)) problems.push(`plugin "${namespace}": slack.events: ${JSON.stringify(event)} is not a Slack event such as "app_mention"`);
    else if (!listenerTypes.includes(listenerType(event))) {
      problems.push(`plugin "${namespace}": slack.events declares "${event}" but no plugin.event({ event: "${listenerType(event)}" }) handles it`);
    }
  }
  for (const type of new Set(listenerTypes)) {
    if (!declared.some((e) => listenerType(e) === type)) {
      const hint = type === 'message' ? 'e.g. "message.channels"' : `"${type}"`;
      problems.push(`plugin "${namespace}": listens to "${type}" events but slack.events does not subscribe to them (${hint})`);
    }
  }
  return problems;
}

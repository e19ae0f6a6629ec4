// The alert card's Ask user button: its action id belongs to the `confirmations` plugin, and the alerts plugin
// puts it on its cards. Plugins never import each other, so the core names it here, once.
export const ALERT_ASK_ACTION = 'confirmations:ask-user';

/** The value the button carries: {"a": alertId}. */
export const alertAskButtonValue = (alertId: string) => JSON.stringify({ a: alertId });

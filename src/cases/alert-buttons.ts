// The alert card's case buttons: their action ids belong to the `cases` plugin, and the alerts plugin puts
// them on its cards. Plugins never import each other, so the core names them here, once.
export const ALERT_CASE_ACTIONS = {
  /** Opens the Create case modal prefilled from the alert. Value: alertCaseButtonValue(alertId). */
  create: 'cases:create-from-alert',
  /** Opens a modal to pick an open case to add the alert to. Value: alertCaseButtonValue(alertId). */
  add: 'cases:add-to-case',
} as const;

/** The value both buttons carry: {"a": alertId}. */
export const alertCaseButtonValue = (alertId: string) => JSON.stringify({ a: alertId });

// What the console's pages are given (mount.ts builds it once); apart from mount.ts so pages do not import it.
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../app/logger.js';
import type { AccessControl, Renderer } from '../plugins/types.js';
import type { Correlation } from '../correlation/service.js';
import type { Cases } from '../cases/wire.js';
import type { ConsoleSettings } from './config.js';
import type { RulesConsole } from '../rules-console/service.js';
import type { ApiRouter } from '../app/api/route.js';

export interface ConsoleDeps {
  settings: ConsoleSettings;
  access: AccessControl;
  correlation: Correlation;
  cases: Cases;
  /** Block Kit templates (the alert card preview). */
  templates: Renderer;
  /** The bot's Web API client (users.lookupByEmail for the trusted-header mode). */
  slack: WebClient;
  /** SLACK_API_URL: where openid.connect.token is called. */
  slackApiUrl?: string;
  logger: Logger;
  /** The rules editor, enrichment and simulator (src/rules-console), with Positron's query names. */
  rulesConsole?: RulesConsole;
  knownQueries?: () => string[];
  /** /api/v1: its `apiKey` routes also take the console's session (api-session.ts), with the config's group names. */
  api?: ApiRouter;
  groupNames?: () => readonly string[];
}

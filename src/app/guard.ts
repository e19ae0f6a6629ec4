// Runs a plugin handler so that nothing it throws takes the process down. A UserError is shown to the person
// as it is; anything else is logged under a fresh error id, and the person is told that id.
import { UserError, newErrorId } from './errors.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { InvalidPayloadError } from '../plugins/routes.js';

export type HandlerKind = 'command' | 'action' | 'view' | 'event' | 'job';

export interface GuardOptions {
  plugin: string;
  kind: HandlerKind;
  route: string;
  logger: Logger;
  metrics: Metrics;
  /** Tells the person who triggered the handler; absent for events and jobs. */
  reply?: (text: string) => Promise<unknown>;
}

/** The text shown for an unexpected error. */
export function unexpectedErrorText(errorId: string): string {
  return `:warning: Something went wrong on our side. Please try again, or give your taser admin this error id: \`${errorId}\`.`;
}

export async function guard<T>(options: GuardOptions, run: () => Promise<T>): Promise<T | undefined> {
  const { plugin, kind, route, logger, metrics, reply } = options;
  try {
    const result = await run();
    metrics.handlers.inc({ plugin, kind, outcome: 'ok' });
    return result;
  } catch (err) {
    let text: string;
    if (err instanceof UserError) {
      metrics.handlers.inc({ plugin, kind, outcome: 'refused' });
      logger.info({ plugin, kind, route, reason: err.message }, 'handler refused the request');
      text = err.message;
    } else if (err instanceof InvalidPayloadError) {
      metrics.handlers.inc({ plugin, kind, outcome: 'refused' });
      logger.warn({ plugin, kind, route, reason: err.message }, 'payload does not match what taser sent; ignoring');
      text = 'This button or form carries data taser cannot read (the message may be out of date). Nothing was done.';
    } else {
      const errorId = newErrorId();
      metrics.handlers.inc({ plugin, kind, outcome: 'error' });
      logger.error({ err, errorId, plugin, kind, route }, 'plugin handler failed');
      text = unexpectedErrorText(errorId);
    }
    if (reply) {
      await reply(text).catch((replyErr: unknown) => logger.warn({ err: replyErr, plugin, route }, 'could not tell the user about an error'));
    }
    return undefined;
  }
}

// The console's session as a way into /api/v1 (the console's browser code calls the same API as scripts do):
// the same user and ACL groups as the console's pages, and the same CSRF rule: every non-GET carries the
// session's token in X-CSRF-Token (htmx sends it from the layout's hx-headers). JSON bodies are the API's
// schemas, so the form field `_csrf` is not read here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../app/logger.js';
import { loggablePath } from '../app/http-server.js';
import type { SessionAuth } from '../app/api/route.js';
import type { AccessControl } from '../plugins/types.js';
import type { ConsoleAuth } from './auth.js';
import { csrfMatches, presentedCsrf } from './csrf.js';

export function consoleApiSessions(auth: ConsoleAuth, deps: { access: AccessControl; groupNames: () => readonly string[]; logger: Logger }): SessionAuth {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const session = await auth.session(req, res);
    if (!session) return undefined;
    if (req.method !== 'GET' && req.method !== 'HEAD' && !csrfMatches(session.csrf, presentedCsrf(req, {}))) {
      deps.logger.warn({ audit: 'console_csrf_refused', user: session.sub, path: loggablePath(req.url) }, 'API change with a console session refused: missing or wrong CSRF token');
      return { status: 403, body: { error: 'csrf', message: 'a console session must send its CSRF token in X-CSRF-Token: reload the page and try again' } };
    }
    // The groups the user is in, asked one by one as the console's own checks do (GroupAccess caches lookups).
    const names = deps.groupNames();
    const member = await Promise.all(names.map((g) => deps.access.isMember(session.sub, [g])));
    return { caller: { name: `console:${session.sub}`, actor: `console:${session.sub}`, groups: names.filter((_, i) => member[i]) } };
  };
}

// The console's start page: who is signed in, and where to go.
import type { ConsoleRouter } from '../router.js';
import type { ConsoleDeps } from '../deps.js';

export function registerHomePage(router: ConsoleRouter, deps: ConsoleDeps): void {
  router.page('GET', '/ui', async (c) => {
    const rules = await deps.correlation.rules.list();
    c.render('home', { rules: rules.length, enabled: rules.filter((r) => r.enabled).length }, { title: 'taser', nav: 'home' });
  });
}

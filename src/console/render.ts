// Server-rendered pages: Handlebars views (views/*.hbs, partials in views/partials/) inside one layout.
// `{{x}}` HTML-escapes; `{{{x}}}` is only for HTML the server built itself (the histogram's SVG).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import type { Assets } from './assets.js';

const VIEWS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'views');

export interface LayoutData {
  title: string;
  /** The signed-in user, if any (the sign-in page has none). */
  user?: { id: string; name: string; isAdmin: boolean };
  csrf?: string;
  /** Which nav entry is current. */
  nav?: string;
}

export class Views {
  private readonly hbs = Handlebars.create();
  private readonly views = new Map<string, Handlebars.TemplateDelegate>();
  private readonly layout: Handlebars.TemplateDelegate;

  constructor(private readonly assets: Assets) {
    registerHelpers(this.hbs);
    const partials = join(VIEWS_DIR, 'partials');
    for (const file of readdirSync(partials).filter((f) => f.endsWith('.hbs'))) {
      this.hbs.registerPartial(file.slice(0, -4), readFileSync(join(partials, file), 'utf8'));
    }
    for (const file of readdirSync(VIEWS_DIR).filter((f) => f.endsWith('.hbs'))) {
      this.views.set(file.slice(0, -4), this.hbs.compile(readFileSync(join(VIEWS_DIR, file), 'utf8'), { strict: false }));
    }
    this.layout = this.views.get('layout')!;
  }

  /** A view alone (an htmx fragment). */
  fragment(view: string, data: object): string {
    const template = this.views.get(view);
    if (!template) throw new Error(`no console view ${view}`);
    return template(data);
  }

  /** A whole page: the view inside the layout. */
  page(view: string, data: object, layout: LayoutData): string {
    const body = this.fragment(view, { ...data, csrf: layout.csrf, user: layout.user });
    return this.layout({
      ...layout,
      body,
      [`nav_${layout.nav ?? view}`]: true,
      css: this.assets.url('console.css'),
      htmx: this.assets.url('htmx.min.js'),
      js: this.assets.url('console.js'),
    });
  }
}

function registerHelpers(hbs: typeof Handlebars): void {
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('time', (v: unknown) => {
    const d = v instanceof Date ? v : typeof v === 'string' || typeof v === 'number' ? new Date(v) : undefined;
    return d && !Number.isNaN(d.getTime()) ? d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z') : '';
  });
  hbs.registerHelper('asJson', (v: unknown) => JSON.stringify(v, null, 2));
  hbs.registerHelper('join', (v: unknown, sep: unknown) => (Array.isArray(v) ? v.join(typeof sep === 'string' ? sep : ', ') : ''));
  hbs.registerHelper('uri', (v: unknown) => encodeURIComponent(String(v ?? '')));
}

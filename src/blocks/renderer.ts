// Handlebars templates -> Block Kit JSON that cannot be invalid. Templates write JSON and put every value
// through a helper that JSON-encodes it ({{json}}, {{text}}, {{plain}}), so quotes and newlines never break
// the JSON, and user-supplied text is mrkdwn-escaped ({{text}}). Templates compile strict (a missing
// variable throws, naming the template); the output is parsed and fitted to Block Kit limits before use.
import Handlebars from 'handlebars';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { escapeMrkdwn, mrkdwnLink } from './escape.js';
import { truncateText } from './truncate.js';
import { BlockKitError, enforceMessageLimits, enforceViewLimits, type MessagePayload } from './limits.js';
import type { SlackBlock } from '../plugins/types.js';
import type { View } from '@slack/types';

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

type HelperOptions = Handlebars.HelperOptions & { name?: string; loc?: { start: { line: number } } };

function defined(value: unknown, helper: string, options: HelperOptions): unknown {
  if (value === undefined) {
    const line = options.loc ? ` (line ${options.loc.start.line})` : '';
    throw new TemplateError(`{{${helper}}} got an undefined value${line}: pass null for "none", or fix the variable name`);
  }
  return value;
}

function asString(value: unknown): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/** Slack's date token: shown in the reader's time zone, with the ISO time as the fallback text. */
function slackDate(value: unknown): string {
  const ms = typeof value === 'number' ? (value < 1e12 ? value * 1000 : value) : Date.parse(asString(value));
  if (!Number.isFinite(ms)) return escapeMrkdwn(asString(value));
  const iso = new Date(ms).toISOString();
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${iso}>`;
}

/** An inline code span: escaped, one line, and a backtick in the value cannot close it early. */
function inlineCode(text: string): string {
  return `\`${escapeMrkdwn(text).replace(/\s*[\r\n]+\s*/g, ' ').replace(/`/g, 'ˋ') || ' '}\``;
}

function registerHelpers(hb: typeof Handlebars): void {
  // JSON-encode any value (numbers, booleans, objects, already-safe strings such as ids).
  hb.registerHelper('json', (value: unknown, options: HelperOptions) => JSON.stringify(defined(value, 'json', options) ?? null));
  // A JSON string of user-supplied text for a mrkdwn field: & < > escaped.
  hb.registerHelper('text', (value: unknown, options: HelperOptions) => JSON.stringify(escapeMrkdwn(asString(defined(value, 'text', options)))));
  // A JSON string for a plain_text field: Slack does not parse mrkdwn there, so no escaping is needed.
  hb.registerHelper('plain', (value: unknown, options: HelperOptions) => JSON.stringify(asString(defined(value, 'plain', options))));
  // Subexpressions: return raw strings for other helpers to encode.
  hb.registerHelper('truncate', (value: unknown, max: unknown, options: HelperOptions) => truncateText(asString(defined(value, 'truncate', options)), Number(max)));
  hb.registerHelper('escape', (value: unknown, options: HelperOptions) => escapeMrkdwn(asString(defined(value, 'escape', options))));
  hb.registerHelper('link', (url: unknown, label: unknown, options: HelperOptions) => mrkdwnLink(asString(defined(url, 'link', options)), asString(defined(label, 'link', options))));
  hb.registerHelper('date', (value: unknown, options: HelperOptions) => slackDate(defined(value, 'date', options)));
  // Inline code: mrkdwn formatting (* _ ~) has no effect inside; a backtick in the value cannot close the span.
  hb.registerHelper('code', (value: unknown, options: HelperOptions) => inlineCode(asString(defined(value, 'code', options))));
  // A list as inline code spans separated by spaces.
  hb.registerHelper('codes', (list: unknown, options: HelperOptions) => {
    const items = defined(list, 'codes', options);
    return (Array.isArray(items) ? items : [items]).map((v) => inlineCode(asString(v))).join(' ');
  });
  // A user mention only for a real Slack user id; anything else is shown as escaped text.
  hb.registerHelper('mention', (value: unknown, options: HelperOptions) => {
    const id = asString(defined(value, 'mention', options));
    return /^[UW][A-Z0-9]{2,}$/.test(id) ? `<@${id}>` : escapeMrkdwn(id);
  });
  hb.registerHelper('concat', (...args: unknown[]) => {
    const options = args.pop() as HelperOptions;
    return args.map((a) => asString(defined(a, 'concat', options))).join('');
  });
  // Joins its arguments with newlines (Handlebars string literals have no "\n").
  hb.registerHelper('lines', (...args: unknown[]) => {
    const options = args.pop() as HelperOptions;
    return args.map((a) => asString(defined(a, 'lines', options))).join('\n');
  });
  // Strict mode does not cover block helpers' arguments: make a missing one an error there too.
  for (const name of ['if', 'unless', 'each', 'with']) {
    const original = hb.helpers[name] as Handlebars.HelperDelegate;
    hb.registerHelper(name, function (this: unknown, value: unknown, options: HelperOptions) {
      defined(value, `#${name}`, options);
      return original.call(this, value, options);
    });
  }
  hb.registerHelper('count', (list: unknown) => (Array.isArray(list) ? list.length : 0));
  hb.registerHelper('upper', (value: unknown) => asString(value).toUpperCase());
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('gt', (a: unknown, b: unknown) => Number(a) > Number(b));
  hb.registerHelper('not', (a: unknown) => !a);
  // Like JavaScript's && and ||: the deciding value, not a boolean, so `(or name "unknown")` works.
  hb.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).reduce((a, b) => a && b));
  hb.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).reduce((a, b) => a || b));
}

interface Compiled {
  run: Handlebars.TemplateDelegate;
  origin: string;
}

export class TemplateRenderer {
  private readonly hb = Handlebars.create();
  private readonly templates = new Map<string, Compiled>();
  private readonly partials = new Map<string, string>();

  constructor() {
    registerHelpers(this.hb);
  }

  register(name: string, source: string, origin = name): void {
    if (this.templates.has(name)) throw new TemplateError(`template "${name}" is defined twice: ${this.templates.get(name)!.origin} and ${origin}`);
    let run: Handlebars.TemplateDelegate;
    try {
      // Parse eagerly so syntax errors surface at load, not at the first alert (compile() is lazy).
      this.hb.parse(source);
      run = this.hb.compile(source, { strict: true, noEscape: true });
    } catch (err) {
      throw new TemplateError(`template "${name}" (${origin}): ${(err as Error).message}`);
    }
    this.templates.set(name, { run, origin });
  }

  /** A partial, used as `{{> name}}`; compiled like a template (strict), so its mistakes surface at load too. */
  registerPartial(name: string, source: string, origin = name): void {
    if (this.partials.has(name)) throw new TemplateError(`partial "${name}" is defined twice: ${this.partials.get(name)} and ${origin}`);
    try {
      this.hb.parse(source);
      this.hb.registerPartial(name, this.hb.compile(source, { strict: true, noEscape: true }));
    } catch (err) {
      throw new TemplateError(`partial "${name}" (${origin}): ${(err as Error).message}`);
    }
    this.partials.set(name, origin);
  }

  /**
   * Registers every *.hbs file of a folder; names are file names, prefixed `prefix:` when given. Files in its
   * `partials/` subfolder are registered as partials under the same naming.
   */
  loadDirectory(dir: string, options: { prefix?: string } = {}): void {
    if (!existsSync(dir)) throw new TemplateError(`template folder ${dir} does not exist`);
    const named = (file: string) => (options.prefix ? `${options.prefix}:${basename(file, '.hbs')}` : basename(file, '.hbs'));
    const partialsDir = join(dir, 'partials');
    if (existsSync(partialsDir)) {
      for (const file of readdirSync(partialsDir).filter((f) => f.endsWith('.hbs')).sort()) {
        this.registerPartial(named(file), readFileSync(join(partialsDir, file), 'utf8'), join(partialsDir, file));
      }
    }
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.hbs')).sort()) {
      this.register(named(file), readFileSync(join(dir, file), 'utf8'), join(dir, file));
    }
  }

  has(name: string): boolean {
    return this.templates.has(name);
  }

  names(): string[] {
    return [...this.templates.keys()];
  }

  private renderJson(name: string, data: unknown): Record<string, unknown> {
    const template = this.templates.get(name);
    if (!template) throw new TemplateError(`no template named "${name}"`);
    let output: string;
    try {
      output = template.run(data);
    } catch (err) {
      throw new TemplateError(`template "${name}" (${template.origin}): ${(err as Error).message}`);
    }
    try {
      const parsed = JSON.parse(output) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the output must be a JSON object');
      return parsed as Record<string, unknown>;
    } catch (err) {
      const at = /position (\d+)/.exec((err as Error).message)?.[1];
      const near = at ? ` near: ${JSON.stringify(output.slice(Math.max(0, Number(at) - 40), Number(at) + 40))}` : '';
      throw new TemplateError(`template "${name}" (${template.origin}) produced invalid JSON: ${(err as Error).message}${near}`);
    }
  }

  /** A message: `{ text, blocks }` fitted to Block Kit limits. */
  render(name: string, data: unknown): { text: string; blocks: SlackBlock[] } {
    const json = this.renderJson(name, data);
    try {
      return enforceMessageLimits(json).value as MessagePayload & { blocks: SlackBlock[] };
    } catch (err) {
      if (err instanceof BlockKitError) throw new TemplateError(`template "${name}": ${err.message}`);
      throw err;
    }
  }

  /** A modal view, fitted to Block Kit limits. */
  renderView(name: string, data: unknown): View {
    const json = this.renderJson(name, data);
    if (json.type !== 'modal' && json.type !== 'home') throw new TemplateError(`template "${name}" is not a view: its "type" must be "modal" or "home"`);
    try {
      return enforceViewLimits(json, json.type).value as unknown as View;
    } catch (err) {
      if (err instanceof BlockKitError) throw new TemplateError(`template "${name}": ${err.message}`);
      throw err;
    }
  }
}

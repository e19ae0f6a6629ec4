// The alert card: what a person sees in Slack for an alert. The input is storage-independent (live alerts and
// `taser preview` both build it); alertCardData turns it into the plain data the blocks/alert-*.hbs templates
// render. Values stay raw here: the templates escape them ({{text}}, (escape), (code)), and the renderer fits
// the result to Block Kit limits, so no field an attacker controls can ping, link or break the message.
import type { Renderer, SlackBlock } from '../plugins/types.js';
import type { Severity, Signal } from '../signals/signal.js';
import { LIMITS } from '../blocks/limits.js';
import { truncateText } from '../blocks/truncate.js';
import { normalizeValue } from '../signals/normalize.js';
import { canonicalField, rankArtifacts, type CardKind } from './artifacts.js';

export type AlertStatus = 'open' | 'acknowledged' | 'snoozed' | 'closed';

export interface CardButton {
  text: string;
  actionId: string;
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
}

export interface AlertCardInput {
  alert: {
    id: string;
    ruleId: string;
    ruleName?: string;
    /** 'identity' | 'endpoint' | 'network'; anything else is the generic card. */
    template?: string;
    group: Record<string, string>;
    severity: Severity;
    status: AlertStatus;
    team?: string;
    firstSeen: string;
    lastSeen: string;
    signalCount: number;
    acknowledged?: { by: string; at: string };
    snoozedUntil?: string;
    closed?: { by: string; at: string; reason: string };
    deliveryFailed?: boolean;
    /** Cases holding the alert (newest first), each named by number with its link. */
    cases?: { number: number; title: string; link?: string }[];
    /** The latest confirmation lines of the alert's history (oldest first): who was asked, what they answered. */
    confirmations?: { note: string; by?: string; at: string }[];
  };
  /** The held signals (at most ~20 from the caller, newest last). */
  signals: Signal[];
  buttons?: CardButton[];
}

export const CARD_TEMPLATES = ['alert-card', 'alert-identity', 'alert-endpoint', 'alert-network'] as const;
export type CardTemplate = (typeof CARD_TEMPLATES)[number];

const SEVERITY: Record<Severity, { emoji: string; label: string }> = {
  info: { emoji: ':information_source:', label: 'INFO' },
  low: { emoji: ':large_blue_circle:', label: 'LOW' },
  medium: { emoji: ':large_yellow_circle:', label: 'MEDIUM' },
  high: { emoji: ':large_orange_circle:', label: 'HIGH' },
  critical: { emoji: ':red_circle:', label: 'CRITICAL' },
};

// How much of each list a card shows: enough to act on, small enough to read (and to stay far from the limits).
const MAX_RELATED = 5;
const MAX_ARTIFACT_FIELDS = 8;
const MAX_VALUES_PER_FIELD = 5;
const MAX_VALUE_CHARS = 200;
const MAX_LINKS = 3;
const MAX_CONFIRMATIONS = 3;
/** Longer links are not worth a third of a section's 3000 characters. */
const MAX_LINK_CHARS = 1000;

function kindOf(template: string | undefined): CardKind {
  const name = (template ?? '').trim().toLowerCase().replace(/^alert-/, '');
  return name === 'identity' || name === 'endpoint' || name === 'network' ? name : 'generic';
}

export function alertCardTemplate(input: AlertCardInput): CardTemplate {
  const kind = kindOf(input.alert.template);
  return kind === 'generic' ? 'alert-card' : `alert-${kind}`;
}

/** A value for display: one line, at most `max` characters (the renderer escapes it later). */
function oneLine(value: string, max = MAX_VALUE_CHARS): string {
  return truncateText(value.replace(/\s+/g, ' ').trim(), max);
}

function httpLink(url: string | undefined): string | null {
  if (!url || url.length > MAX_LINK_CHARS || !/^https?:\/\/[^\s<>|]+$/i.test(url)) return null;
  return url;
}

/** Buttons Slack would refuse (or that would clash) are left out, and counted so the card can say so. */
function usableButtons(buttons: CardButton[]): { buttons: object[]; dropped: number } {
  const out: object[] = [];
  const ids = new Set<string>();
  let dropped = 0;
  for (const b of buttons) {
    const ok =
      b.actionId.length > 0 && b.actionId.length <= LIMITS.actionId && !ids.has(b.actionId) &&
      (b.value === undefined || b.value.length <= LIMITS.buttonValue) &&
      (b.url === undefined || (b.url.length <= LIMITS.buttonUrl && /^https?:\/\//i.test(b.url))) &&
      out.length < LIMITS.actionsElements;
    if (!ok) {
      dropped++;
      continue;
    }
    ids.add(b.actionId);
    out.push({
      text: b.text.trim() === '' ? b.actionId : b.text,
      actionId: b.actionId,
      value: b.value ?? null,
      url: b.url ?? null,
      style: b.style === 'primary' || b.style === 'danger' ? b.style : null,
    });
  }
  return { buttons: out, dropped };
}

function statusOf(alert: AlertCardInput['alert']) {
  const base = { key: alert.status, by: null as string | null, at: null as string | null, until: null as string | null, reason: null as string | null };
  switch (alert.status) {
    case 'acknowledged':
      return { ...base, label: 'Acknowledged', emoji: ':eyes:', by: alert.acknowledged?.by ?? null, at: alert.acknowledged?.at ?? null };
    case 'snoozed':
      return { ...base, label: 'Snoozed', emoji: ':zzz:', until: alert.snoozedUntil ?? null };
    case 'closed':
      return { ...base, label: 'Closed', emoji: ':white_check_mark:', by: alert.closed?.by ?? null, at: alert.closed?.at ?? null, reason: alert.closed ? oneLine(alert.closed.reason, 500) : null };
    default:
      return { ...base, label: 'Open', emoji: ':rotating_light:' };
  }
}

/** The top values of artifact fields; what a card's kind section shows is then left out of its artifacts. */
interface Picker {
  first(...fields: string[]): string | null;
  values(field: string, max: number): string[];
}

/** A signal's first value of a canonical artifact field (any spelling the sources use). */
function artifactOf(signal: Signal, field: string): string | null {
  for (const [raw, value] of Object.entries(signal.artifacts ?? {})) {
    if (canonicalField(raw) !== field) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined && String(first).trim() !== '') return String(first).trim();
  }
  return null;
}

const PLACE_FIELDS = ['geo', 'city', 'region', 'country'] as const;
const NEW_PLACE = /new[_ .-]?(location|country|city|geo|place)/i;

/**
 * The signal an identity card's "from where" comes from: the one that made the alert (a new-location login),
 * else the newest with a place or an address. Address and place come from that one signal, so they agree.
 */
function placeSignal(newestFirst: Signal[]): Signal | undefined {
  const located = newestFirst.filter((s) => PLACE_FIELDS.some((f) => artifactOf(s, f)) || artifactOf(s, 'src_ip'));
  return located.find((s) => NEW_PLACE.test(s.type)) ?? located[0];
}

function placeOf(signal: Signal): string | null {
  const geo = artifactOf(signal, 'geo');
  if (geo) return oneLine(geo);
  const parts = [artifactOf(signal, 'city'), artifactOf(signal, 'region'), artifactOf(signal, 'country')].filter((p): p is string => p !== null);
  return parts.length ? oneLine([...new Set(parts)].join(', ')) : null;
}

function identityFacts(pick: Picker, newestFirst: Signal[], markShown: (field: string, value: string) => void) {
  const from = placeSignal(newestFirst);
  const srcIp = from ? artifactOf(from, 'src_ip') : null;
  const geo = from ? placeOf(from) : null;
  if (from) for (const f of ['src_ip', ...PLACE_FIELDS]) {
    const v = artifactOf(from, f);
    if (v) markShown(f, v);
  }
  return { user: pick.first('username', 'email'), srcIp: srcIp ? oneLine(srcIp) : pick.first('src_ip'), geo };
}

function endpointFacts(pick: Picker) {
  const hashes = ['sha256', 'sha1', 'md5'].flatMap((kind) => pick.values(kind, 2).map((value) => ({ kind, value })));
  return { host: pick.first('hostname'), user: pick.first('username', 'email'), process: pick.first('process'), cmdline: pick.first('cmdline'), hashes };
}

function networkFacts(pick: Picker, newestTitle: string | null) {
  const withPort = (ip: string | null, port: string | null) => (ip && port ? `${ip}:${port}` : ip);
  return {
    src: withPort(pick.first('src_ip'), pick.first('src_port')),
    dst: withPort(pick.first('dst_ip'), pick.first('dst_port')) ?? pick.first('domain'),
    signature: pick.first('signature') ?? newestTitle,
    proto: pick.first('proto'),
  };
}

/** The data the alert templates render (see blocks/alert-card.example.json for its shape). */
export function alertCardData(input: AlertCardInput) {
  const { alert } = input;
  const kind = kindOf(alert.template);
  const severity = { key: alert.severity, ...SEVERITY[alert.severity] };
  const title = oneLine(alert.ruleName?.trim() || alert.ruleId, 140);
  const group = Object.entries(alert.group).map(([field, value]) => ({ field: oneLine(field, 100), value: oneLine(String(value)) }));
  const ranked = rankArtifacts(input.signals, kind);
  const newest = [...input.signals].reverse();

  // Values the card already shows (group values, the kind's own fields) are not repeated among the artifacts.
  const key = (field: string, value: string) => `${canonicalField(field)}\u0000${normalizeValue(value) ?? ''}`;
  const shown = new Set(Object.entries(alert.group).map(([f, v]) => key(f, String(v))));
  const picker = (forKind: CardKind): Picker => {
    const record = forKind === kind;
    const values = (field: string, max: number) =>
      (ranked.find((a) => a.field === field)?.values ?? []).slice(0, max).map((v) => {
        if (record) shown.add(key(field, v));
        return oneLine(v);
      });
    return {
      first: (...fields) => {
        for (const f of fields) {
          const [v] = values(f, 1);
          if (v !== undefined) return v;
        }
        return null;
      },
      values,
    };
  };
  const identity = identityFacts(picker('identity'), newest, (f, v) => kind === 'identity' && shown.add(key(f, v)));
  const endpoint = endpointFacts(picker('endpoint'));
  const network = networkFacts(picker('network'), newest[0]?.title ? oneLine(newest[0].title) : null);

  const useful = ranked
    .map((a) => ({ ...a, values: a.values.filter((v) => !shown.has(key(a.field, v))) }))
    .filter((a) => a.values.length > 0);
  const artifacts = useful.slice(0, MAX_ARTIFACT_FIELDS).map((a) => ({
    field: oneLine(a.field, 60),
    values: a.values.slice(0, MAX_VALUES_PER_FIELD).map((v) => oneLine(v)),
    more: Math.max(0, a.values.length - MAX_VALUES_PER_FIELD),
  }));

  // Related signals: the newest first; "and N more" counts the alert's signals, not only those passed in.
  const related = newest.slice(0, MAX_RELATED).map((s) => ({
    title: oneLine(s.title?.trim() || s.type),
    type: oneLine(s.type, 100),
    source: oneLine(s.source, 100),
    occurredAt: s.occurredAt,
    severity: s.severity ? SEVERITY[s.severity].emoji : null,
    link: httpLink(s.link),
  }));
  const total = Math.max(alert.signalCount, input.signals.length);
  // Links to the source tools of older signals (the shown ones carry their own "details" link).
  const links: { url: string; label: string }[] = [];
  for (const s of newest.slice(MAX_RELATED)) {
    const url = httpLink(s.link);
    if (url && links.length < MAX_LINKS && !links.some((l) => l.url === url) && !related.some((r) => r.link === url)) {
      links.push({ url, label: `View in ${oneLine(s.source, 60)}` });
    }
  }

  const { buttons, dropped } = usableButtons(input.buttons ?? []);
  const groupLine = group.map((g) => `${g.field}=${g.value}`).join(' ');

  return {
    summary: oneLine(
      `[${severity.label}] ${title}${groupLine ? ` (${groupLine})` : ''}: ${alert.signalCount} signal${alert.signalCount === 1 ? '' : 's'}` +
        (alert.status === 'open' ? '' : `, ${alert.status}`),
      300,
    ),
    kind,
    alertId: alert.id,
    ruleId: alert.ruleId,
    title,
    severity,
    group,
    signalCount: alert.signalCount,
    firstSeen: alert.firstSeen,
    lastSeen: alert.lastSeen,
    team: alert.team?.trim() ? oneLine(alert.team, 100) : null,
    status: statusOf(alert),
    deliveryFailed: alert.deliveryFailed === true,
    cases: (alert.cases ?? []).slice(0, 3).map((c) => ({ label: oneLine(`Case #${c.number}: ${c.title}`, 150), link: httpLink(c.link) })),
    // "by taser" says nothing: only people (and API keys) are named.
    confirmations: (alert.confirmations ?? []).slice(-MAX_CONFIRMATIONS).map((c) => ({
      note: oneLine(c.note, 300),
      by: c.by && c.by !== 'taser' ? oneLine(c.by, 100) : null,
      at: c.at,
    })),
    artifacts,
    artifactsMore: Math.max(0, useful.length - MAX_ARTIFACT_FIELDS),
    related,
    relatedMore: Math.max(0, total - related.length),
    links,
    buttons,
    buttonsDropped: dropped,
    identity,
    endpoint,
    network,
  };
}

export type AlertCardData = ReturnType<typeof alertCardData>;

/** The chat.postMessage / chat.update arguments for the card (text is the one-line notification). */
export function renderAlertCard(renderer: Renderer, input: AlertCardInput): { text: string; blocks: SlackBlock[] } {
  return renderer.render(alertCardTemplate(input), alertCardData(input));
}

// `taser preview --rules RULES --signals SIGNALS.jsonl [--json]`: the alert cards a rules file would post for
// a signals file. It runs the simulator, then renders each alert's card from the same templates the bot uses,
// so a rule author sees the real message (and can open it in Block Kit Builder) before deploying.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { BLOCKS_DIR } from '../app/paths.js';
import { TemplateRenderer } from '../blocks/renderer.js';
import type { SlackBlock } from '../plugins/types.js';
import { loadRulesFile, RuleError, type Rule } from '../correlation/rule.js';
import { SignalFileError, simulate, type SimulatedAlert } from '../correlation/simulator.js';
import { severityRank, signalSchema, type Severity, type Signal } from '../signals/signal.js';
import { renderAlertCard, type AlertCardInput } from './card.js';
import type { Io } from '../correlation/simulate-command.js';
import type { ProgressFn, TerminalProgress } from '../app/terminal-progress.js';

/** The held signals a card shows (the live path passes the same number). */
const CARD_SIGNALS = 20;

export interface PreviewCard {
  rule: string;
  group: Record<string, string>;
  firstSeen: string;
  lastSeen: string;
  signals: string[];
  /** Exactly the chat.postMessage arguments (without the channel). */
  message: { text: string; blocks: SlackBlock[] };
}

/**
 * The signals the alerts refer to, by id. The simulator reports ids only; an id may repeat across sources,
 * so each id keeps every first-seen (source, id) signal and the alert picks the one in its time span.
 */
async function signalsById(path: string, wanted: Set<string>): Promise<Map<string, Signal[]>> {
  const found = new Map<string, Signal[]>();
  const seen = new Set<string>();
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    // The simulator has validated every line already.
    const parsed = signalSchema.safeParse(JSON.parse(line));
    if (!parsed.success || !wanted.has(parsed.data.id)) continue;
    const key = `${parsed.data.source}\u0000${parsed.data.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    found.set(parsed.data.id, [...(found.get(parsed.data.id) ?? []), parsed.data]);
  }
  return found;
}

function pickSignal(candidates: Signal[] | undefined, alert: SimulatedAlert): Signal | undefined {
  if (!candidates?.length) return undefined;
  const from = Date.parse(alert.firstSeen) - 1;
  const to = Date.parse(alert.lastSeen) + 1;
  return candidates.find((s) => Date.parse(s.occurredAt) >= from && Date.parse(s.occurredAt) <= to) ?? candidates[0];
}

/** The alert's severity: the rule's, raised to the highest severity among its signals. */
export function alertSeverity(rule: Rule, signals: Signal[]): Severity {
  return signals.reduce<Severity>((max, s) => (s.severity && severityRank(s.severity) > severityRank(max) ? s.severity : max), rule.severity);
}

export async function previewCards(rulesPath: string, signalsPath: string, renderer: TemplateRenderer, onProgress?: ProgressFn): Promise<PreviewCard[]> {
  const rules = loadRulesFile(rulesPath);
  const { alerts } = await simulate(rules, signalsPath, { onProgress });
  const byRule = new Map(rules.map((r) => [r.id, r]));
  const signals = await signalsById(signalsPath, new Set(alerts.flatMap((a) => a.signals)));
  return alerts.map((alert, i) => {
    const rule = byRule.get(alert.rule)!;
    const held = alert.signals.map((id) => pickSignal(signals.get(id), alert)).filter((s): s is Signal => s !== undefined);
    const input: AlertCardInput = {
      alert: {
        id: `preview-${i + 1}`,
        ruleId: rule.id,
        ruleName: rule.name,
        template: rule.template,
        group: alert.group,
        severity: alertSeverity(rule, held),
        status: 'open',
        team: rule.team,
        firstSeen: alert.firstSeen,
        lastSeen: alert.lastSeen,
        signalCount: alert.signals.length,
      },
      signals: held.slice(-CARD_SIGNALS),
    };
    return { ...alert, message: renderAlertCard(renderer, input) };
  });
}

/** A link that opens the message in Slack's Block Kit Builder. */
export function blockKitBuilderUrl(blocks: SlackBlock[]): string {
  return `https://app.slack.com/block-kit-builder#${encodeURIComponent(JSON.stringify({ blocks }))}`;
}

export async function runPreviewCommand(options: { rules: string; signals: string; json: boolean; progress?: TerminalProgress }, io: Io): Promise<number> {
  const renderer = new TemplateRenderer();
  renderer.loadDirectory(BLOCKS_DIR);
  let cards: PreviewCard[];
  try {
    cards = await previewCards(options.rules, options.signals, renderer, options.progress?.update);
  } catch (err) {
    if (err instanceof RuleError || err instanceof SignalFileError) {
      for (const problem of err.problems) io.stderr(`taser preview: ${problem}\n`);
      return 1;
    }
    throw err;
  } finally {
    options.progress?.done();
  }
  if (options.json) {
    const ordered = cards.map((c) => ({ rule: c.rule, group: c.group, firstSeen: c.firstSeen, lastSeen: c.lastSeen, signals: c.signals, message: c.message }));
    await io.stdout(`${JSON.stringify(ordered)}\n`);
    return 0;
  }
  await io.stdout(`${cards.length} alert card(s)\n`);
  for (const card of cards) {
    const group = Object.entries(card.group).map(([k, v]) => `${k}=${v}`).join(' ') || '(all)';
    await io.stdout(
      `\n${card.firstSeen}  ${card.rule}  ${group}  ${card.signals.length} signals  until ${card.lastSeen}\n` +
        `  ${card.message.text}\n` +
        `  ${card.message.blocks.length} blocks: ${blockKitBuilderUrl(card.message.blocks)}\n`,
    );
  }
  return 0;
}

// What entering each state does. pending_manager: find the manager (USER_MANAGER), DM them, set their deadline;
// no manager: straight on to on-call. escalated: find on-call (ONCALL_FOR_TEAM), assign them the case, DM them
// its link, and page when the alert is critical (or the option says always). resolved: close the case as
// benign when the option says `onYes: close`. Whatever cannot be done is recorded on the flow and the case.
import { SYSTEM } from '../cases/service.js';
import type { CaseEventData, CaseEventKind, StoredCase } from '../cases/model.js';
import { deadlineAfter } from './business-hours.js';
import { ANSWER_TEXT, type Answer, type FlowState, type StoredFlow, type TransitionCause } from './model.js';
import { personName, resolveManager, resolveOncall } from './people.js';
import type { PageOutcome } from './pages.js';
import type { FlowMessenger, PageSeverity } from './ports.js';
import type { FlowDeps } from './deps.js';

/** What the escalation steps need of the flow service (ConfirmationService implements it). */
export interface FlowSteps {
  readonly deps: FlowDeps;
  messenger(): FlowMessenger;
  move(flow: StoredFlow, to: FlowState, t: { cause: TransitionCause; by: string; answer?: Answer; note?: string }): Promise<boolean>;
  schedule(flowId: string, state: FlowState, when: Date): Promise<void>;
  caseEvent<K extends CaseEventKind>(flow: StoredFlow, actor: string, kind: K, data: CaseEventData[K]): Promise<void>;
}

const PAGE_SEVERITY: Record<string, PageSeverity> = { critical: 'critical', high: 'error', medium: 'warning', low: 'info', info: 'info' };

export class Escalation {
  constructor(private readonly flows: FlowSteps) {}

  private get deps() {
    return this.flows.deps;
  }

  private async problem(flow: StoredFlow, message: string): Promise<void> {
    await this.deps.store.problem(flow._id, message);
    this.deps.logger.warn({ flow: flow._id, case: flow.caseId }, `confirmation: ${message}`);
  }

  async askManager(flow: StoredFlow): Promise<void> {
    const messenger = this.flows.messenger();
    const found = await resolveManager(this.deps.positron, flow.user, (email) => messenger.slackUserByEmail(email));
    if ('unresolved' in found) {
      await this.deps.store.set(flow._id, { managerUnresolved: found.unresolved });
      await this.flows.move(flow, 'escalated', { cause: 'unresolved', by: 'taser', note: `no manager to ask: ${found.unresolved}` });
      return;
    }
    await this.deps.store.set(flow._id, { manager: found.person });
    const withManager = { ...flow, manager: found.person };
    try {
      const message = await messenger.askManager(withManager, found.person.slackUserId!);
      const deadline = deadlineAfter(new Date(), flow.options.managerTimeout, flow.options.businessHours);
      await this.deps.store.set(flow._id, { messages: { ...flow.messages, manager: message }, deadline });
      await this.flows.schedule(flow._id, 'pending_manager', deadline);
    } catch (err) {
      const note = `the DM to the manager ${personName(found.person)} failed: ${(err as Error).message}`;
      await this.problem(flow, note);
      await this.flows.move(withManager, 'escalated', { cause: 'unresolved', by: 'taser', note });
    }
  }

  async onCall(flow: StoredFlow): Promise<void> {
    const messenger = this.flows.messenger();
    const theCase = await this.deps.cases.service.get(flow.caseId);
    const found = await resolveOncall(this.deps.positron, flow.team, (email) => messenger.slackUserByEmail(email));
    if ('unresolved' in found) {
      await this.deps.store.set(flow._id, { oncallUnresolved: found.unresolved });
      await this.problem(flow, `no on-call analyst found: ${found.unresolved}`);
    } else {
      await this.deps.store.set(flow._id, { oncall: found.person });
      const assignee = found.person.slackUserId!;
      if (theCase && theCase.status === 'open' && theCase.assignee !== assignee) {
        await this.deps.cases.service.update(SYSTEM, theCase._id, { assignee }).catch((err: unknown) => this.problem(flow, `could not assign case #${flow.caseNumber}: ${(err as Error).message}`));
      }
      await messenger
        .tellOncall({ ...flow, oncall: found.person }, assignee, theCase ? this.deps.cases.service.link(theCase) : undefined)
        .catch((err: unknown) => this.problem(flow, `the DM to on-call ${personName(found.person)} failed: ${(err as Error).message}`));
    }
    const page = flow.options.page;
    if (page === 'always' || (page === 'critical' && flow.severity === 'critical')) {
      const answers = [flow.userAnswer && `user: ${ANSWER_TEXT[flow.userAnswer.answer]}`, flow.managerAnswer && `manager: ${ANSWER_TEXT[flow.managerAnswer.answer]}`].filter(Boolean).join(', ');
      const link = theCase ? this.deps.cases.service.link(theCase) : undefined;
      await this.deps.pages.enqueue(flow._id, {
        action: 'trigger',
        dedupKey: flow.caseId,
        summary: `taser case #${flow.caseNumber}: ${flow.facts.summary} (${personName(flow.user)}${answers ? `; ${answers}` : '; no answer'})`.slice(0, 1024),
        severity: PAGE_SEVERITY[flow.severity] ?? 'error',
        source: `taser case #${flow.caseNumber}`,
        ...(link ? { link } : {}),
        details: { flowId: flow._id, caseNumber: flow.caseNumber, user: personName(flow.user), ...(flow.oncall ? { oncall: personName(flow.oncall) } : {}), ...flow.facts },
      });
    }
  }

  async resolved(flow: StoredFlow): Promise<void> {
    if (flow.options.onYes !== 'close') return;
    const theCase = await this.deps.cases.service.get(flow.caseId);
    if (!theCase || theCase.status === 'closed') return;
    const who = flow.managerAnswer ? `the manager ${personName(flow.manager)}` : personName(flow.user);
    await this.deps.cases.service
      .close(SYSTEM, theCase._id, { resolution: 'false_positive', summary: `Benign: ${who} confirmed it (confirmation flow ${flow._id}).` })
      .catch((err: unknown) => this.problem(flow, `could not close case #${flow.caseNumber}: ${(err as Error).message}`));
    if (flow.alertId) await this.deps.alerts.collection.updateOne({ _id: flow.alertId, status: { $ne: 'closed' } }, { $set: { status: 'closed', updatedAt: new Date() }, $push: { history: { at: new Date(), kind: 'closed', by: 'taser', note: 'benign: confirmed by the user' } } });
  }

  /** A case closed after a trigger: resolve the incident (queued once per case). */
  async resolvePage(c: StoredCase): Promise<void> {
    const trigger = await this.deps.pages.get(c._id, 'trigger');
    if (!trigger || trigger.status === 'failed') return;
    await this.deps.pages.enqueue(trigger.flowId, { ...trigger.event, action: 'resolve', summary: `taser case #${c.number} closed` });
  }

  /** The outbox's report: on the case (page_sent / page_failed) and, for a failure, on the flow. */
  async pageSettled({ page, outcome }: PageOutcome): Promise<void> {
    const flow = await this.deps.store.get(page.flowId);
    if (!flow) return;
    if (outcome === 'sent') await this.flows.caseEvent(flow, 'taser', 'page_sent', { flowId: flow._id, action: page.event.action, dedupKey: page.event.dedupKey, attempts: page.attempts });
    else {
      await this.deps.store.problem(flow._id, `page ${page.event.action} failed: ${page.lastError}`);
      await this.flows.caseEvent(flow, 'taser', 'page_failed', { flowId: flow._id, action: page.event.action, error: page.lastError ?? 'unknown', attempts: page.attempts });
    }
  }
}

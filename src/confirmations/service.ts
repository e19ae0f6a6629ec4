// The confirmation state machine: ask the user, then the manager, then on-call (and page). Every move is a
// transition claimed by a unique insert (store.ts), recorded on the case (case events) and the alert (its
// history), and each waiting step has a deadline job that survives restarts; a deadline that fires after the
// flow moved on finds its transition taken and does nothing.
import { UserError } from '../app/errors.js';
import type { AlertHistoryEntry } from '../correlation/alert-store.js';
import type { JobRunner } from '../jobs/scheduler.js';
import type { JobRef, Scheduler } from '../plugins/types.js';
import type { Signal } from '../signals/signal.js';
import { SYSTEM } from '../cases/service.js';
import { caseSeverityOf, type CaseEventData, type CaseEventKind, type StoredCase } from '../cases/model.js';
import { deadlineAfter } from './business-hours.js';
import {
  ANSWER_TEXT, TERMINAL, confirmOptionSchema, isUserAnswer, type Answer, type ConfirmOption, type FlowState, type ManagerAnswer,
  type AnswerResult, type StoredFlow, type TransitionCause, type UserAnswer,
} from './model.js';
import { newFlowId } from './store.js';
import { factsOf, personName, resolveManager, resolveOncall, resolveUser } from './people.js';
import type { FlowMessenger } from './ports.js';
import { Escalation, type FlowSteps } from './escalation.js';
import type { FlowDeps } from './deps.js';

export type { FlowDeps } from './deps.js';

export const DEADLINE_JOB = 'core.confirmation-deadline';

/** The alert's history line (and card line) for a flow entering a state. */
const STEP_NOTE: Record<FlowState, string> = {
  pending_user: 'Asking the user',
  pending_manager: 'Asking the manager',
  escalated: 'Escalated to on-call',
  resolved: 'Resolved',
  cancelled: 'Cancelled',
};

export interface StartFlow {
  alertId?: string;
  caseId?: string;
  /** E-mail, username, or Slack user id / mention. */
  user: string;
  question?: string;
  /** Who started it: a Slack user id, `api:<key>`, or `taser` (a rule). */
  by: string;
  /** The rule's option; absent: the configured defaults. */
  options?: ConfirmOption;
}


export class FlowNotFoundError extends UserError {}
export class FlowInputError extends UserError {}


export class ConfirmationService implements FlowSteps {
  private scheduler?: Scheduler;
  private readonly deadlineJob: JobRef<{ flowId: string; state: FlowState }> = { name: DEADLINE_JOB };
  readonly escalation: Escalation;

  constructor(readonly deps: FlowDeps) {
    this.escalation = new Escalation(this);
  }

  async register(jobs: JobRunner): Promise<void> {
    jobs.define(DEADLINE_JOB, async (data) => {
      const d = data as { flowId?: string; state?: FlowState };
      if (d.flowId && d.state) await this.deadline(d.flowId, d.state);
    });
    this.scheduler = jobs.port();
  }

  get(id: string): Promise<StoredFlow | null> {
    return this.deps.store.get(id);
  }

  async require(id: string): Promise<StoredFlow> {
    const flow = await this.deps.store.get(id);
    if (!flow) throw new FlowNotFoundError(`No confirmation flow ${id}.`);
    return flow;
  }

  /** A rule's `confirm` option for a new alert: the user named by its artifact, asked from the rule's settings. */
  async alertCreated(alert: { _id: string; ruleId: string }): Promise<StoredFlow | undefined> {
    // From the active rules (cached, no read per alert: a burst of alerts would cost a read each); a rule
    // switched off since the alert was made is read from the store.
    const active = (await this.deps.rules.active()).find((r) => r.rule.id === alert.ruleId);
    const option = (active ?? (await this.deps.rules.get(alert.ruleId)))?.rule.confirm;
    if (!option) return undefined;
    const full = await this.deps.alerts.get(alert._id);
    if (!full) return undefined;
    const signals = await this.signalsOf(full.signals);
    const user = signals.map((s) => (s.artifacts as Record<string, unknown> | undefined)?.[option.field]).find((v) => v !== undefined && v !== null && v !== '');
    if (user === undefined) {
      this.deps.logger.warn({ alert: alert._id, rule: alert.ruleId, field: option.field }, 'rule asks for a confirmation, but the alert has no such artifact: no flow started');
      return undefined;
    }
    return this.start({ alertId: alert._id, user: String(Array.isArray(user) ? user[0] : user), by: 'taser', options: option });
  }

  async start(input: StartFlow): Promise<StoredFlow> {
    const messenger = this.messenger();
    const alert = input.alertId ? await this.deps.alerts.get(input.alertId) : null;
    if (input.alertId && !alert) throw new FlowNotFoundError(`No alert ${input.alertId}.`);
    let theCase = input.caseId ? await this.deps.cases.service.get(input.caseId) : null;
    if (input.caseId && !theCase) throw new FlowNotFoundError(`No case ${input.caseId}.`);
    if (theCase?.status === 'closed') throw new FlowInputError(`Case #${theCase.number} is closed: reopen it to ask someone about it.`);
    if (!theCase && alert) theCase = (await this.deps.cases.service.forAlert(alert._id)).find((c) => c.status === 'open') ?? null;
    if (!theCase) {
      // Answers are recorded on a case, so a flow about a bare alert opens one (as securitybot did).
      theCase = await this.deps.cases.service.create(SYSTEM, {
        title: `Confirmation: ${alert?.ruleName ?? alert?.ruleId ?? input.question ?? 'was this you?'}`.slice(0, 200),
        severity: caseSeverityOf(alert?.severity ?? 'low'),
        ...(alert?.team ? { team: alert.team.toLowerCase() } : {}),
        alertIds: alert ? [alert._id] : [],
      });
    }
    const option = input.options ?? confirmOptionSchema.parse(this.deps.defaults);
    const { field: _field, ...options } = option;
    const signals = alert ? await this.signalsOf(alert.signals) : [];
    const now = new Date();
    const severity = alert?.severity ?? theCase.severity;
    const found = await resolveUser(this.deps.positron, input.user, (email) => messenger.slackUserByEmail(email));
    const flow: StoredFlow = {
      _id: newFlowId(),
      state: 'pending_user',
      ...(alert ? { alertId: alert._id } : {}),
      caseId: theCase._id,
      caseNumber: theCase.number,
      ...((alert?.team ?? theCase.team) ? { team: (alert?.team ?? theCase.team)!.toLowerCase() } : {}),
      severity,
      ...(input.question ? { question: input.question } : {}),
      facts: factsOf(alert ?? undefined, signals, input.question),
      options,
      user: 'person' in found ? found.person : { ref: input.user },
      ...('unresolved' in found ? { userUnresolved: found.unresolved } : {}),
      messages: {},
      problems: [],
      createdAt: now,
      createdBy: input.by,
      updatedAt: now,
    };
    await this.deps.store.insert(flow, input.by);
    await this.caseEvent(flow, input.by, 'confirmation_started', { flowId: flow._id, user: personName(flow.user), ...(flow.userUnresolved ? { unresolved: flow.userUnresolved } : {}) });
    await this.alertNote(flow, input.by, `Confirmation asked of ${personName(flow.user)}`);
    this.deps.logger.info({ flow: flow._id, case: flow.caseId, alert: flow.alertId, by: input.by, unresolved: flow.userUnresolved }, 'confirmation flow started');

    if (flow.userUnresolved) {
      await this.move(flow, 'pending_manager', { cause: 'unresolved', by: 'taser', note: flow.userUnresolved });
      return this.require(flow._id);
    }
    try {
      const message = await messenger.askUser(flow, flow.user.slackUserId!);
      const deadline = deadlineAfter(now, options.timeout, options.businessHours);
      await this.deps.store.set(flow._id, { messages: { user: message }, deadline });
      await this.schedule(flow._id, 'pending_user', deadline);
    } catch (err) {
      const note = `the DM to ${personName(flow.user)} failed: ${(err as Error).message}`;
      await this.deps.store.problem(flow._id, note);
      await this.move(await this.require(flow._id), 'pending_manager', { cause: 'unresolved', by: 'taser', note });
      return this.require(flow._id);
    }
    if (options.escalateAtOnce.includes(severity)) {
      await this.move(await this.require(flow._id), 'pending_manager', { cause: 'escalate_at_once', by: 'taser', note: `severity ${severity}` });
    }
    return this.require(flow._id);
  }

  /** A button click. Only the person asked may answer; a click after the flow moved on changes nothing. */
  async answer(flowId: string, answer: Answer, by: string): Promise<AnswerResult> {
    const flow = await this.require(flowId);
    const step = isUserAnswer(answer) ? 'user' : 'manager';
    const asked = step === 'user' ? flow.user.slackUserId : flow.manager?.slackUserId;
    if (by !== asked) {
      const reason = `only ${asked ? `<@${asked}>` : 'the person asked'} may answer this ${step === 'user' ? 'question' : "manager's question"}`;
      await this.caseEvent(flow, by, 'confirmation_refused', { flowId, by, reason });
      this.deps.logger.warn({ audit: 'confirmation_refused', flow: flowId, user: by, asked, step }, 'confirmation answer refused: not the person asked');
      return { outcome: 'refused', message: `Sorry, ${reason}. Your click was recorded on case #${flow.caseNumber} and changed nothing.`, flow };
    }
    const open = step === 'user' ? !TERMINAL.has(flow.state) : flow.state === 'pending_manager';
    const previous = step === 'user' ? flow.userAnswer : flow.managerAnswer;
    if (previous) return { outcome: 'duplicate', message: `You already answered *${ANSWER_TEXT[previous.answer]}* at ${previous.at.toISOString()}: this click changed nothing.`, flow };
    if (!open) return { outcome: 'late', message: `This confirmation is already ${flow.state.replace('_', ' ')}: your answer came too late and changed nothing.`, flow };
    if (!(await this.deps.store.claim(flowId, `answer:${step}`, by))) {
      const now = await this.require(flowId);
      return { outcome: 'duplicate', message: 'You already answered this: the second click changed nothing.', flow: now };
    }
    const at = new Date();
    const recorded = { answer, by, at };
    await this.deps.store.set(flowId, step === 'user' ? { userAnswer: recorded as StoredFlow['userAnswer'] } : { managerAnswer: recorded as StoredFlow['managerAnswer'] });
    await this.caseEvent(flow, by, 'confirmation_answered', { flowId, step, answer, text: ANSWER_TEXT[answer] });
    await this.alertNote(flow, by, `${step === 'user' ? 'User' : 'Manager'} answered: ${ANSWER_TEXT[answer]}`);
    const message = step === 'user' ? flow.messages.user : flow.messages.manager;
    const fresh = await this.require(flowId);
    if (message) await this.settle(fresh, message, `<@${by}> answered *${ANSWER_TEXT[answer]}* at ${at.toISOString()}.`);
    this.deps.logger.info({ flow: flowId, step, answer, by }, 'confirmation answered');
    if (isUserAnswer(answer)) await this.applyUserAnswer(fresh, answer, by);
    else await this.applyManagerAnswer(fresh, answer, by);
    return { outcome: 'recorded', message: `Thanks: you answered *${ANSWER_TEXT[answer]}*.`, flow: await this.require(flowId) };
  }

  private async applyUserAnswer(flow: StoredFlow, answer: UserAnswer, by: string): Promise<void> {
    // The deadline may have moved the flow meanwhile: the answer acts on the state it finds (a few tries: the
    // winner of a transition writes the flow's new state just after its claim).
    let current = flow;
    for (let attempt = 0; attempt < 5 && !TERMINAL.has(current.state); attempt++, current = await this.require(flow._id)) {
      if (attempt) await new Promise((r) => setTimeout(r, 200 * attempt));
      const t = { cause: 'answer' as const, by, answer };
      let moved: boolean;
      if (answer === 'no') moved = await this.move(current, 'escalated', t);
      else if (current.state === 'pending_manager') return; // the manager decides; they see the user's answer
      else if (answer === 'yes') moved = await this.move(current, 'resolved', t);
      else moved = await this.move(current, 'pending_manager', t);
      if (moved) return;
    }
  }

  private async applyManagerAnswer(flow: StoredFlow, answer: ManagerAnswer, by: string): Promise<void> {
    if (flow.state !== 'pending_manager') return;
    await this.move(flow, answer === 'legit' ? 'resolved' : 'escalated', { cause: 'answer', by, answer });
  }

  /** The deadline job: moves the flow on, if it is still where it was when the job was scheduled. */
  async deadline(flowId: string, state: FlowState): Promise<void> {
    const flow = await this.deps.store.get(flowId);
    if (!flow || flow.state !== state) return;
    const next = state === 'pending_user' ? 'pending_manager' : 'escalated';
    const asked = state === 'pending_user' ? flow.messages.user : flow.messages.manager;
    if (await this.move(flow, next, { cause: 'timeout', by: 'taser', note: `no answer by ${flow.deadline?.toISOString() ?? 'the deadline'}` })) {
      if (asked) await this.settle(flow, asked, `No answer by ${flow.deadline?.toISOString() ?? 'the deadline'}: taser asked the next person.`);
    }
  }

  /** The case closed: flows still waiting are cancelled, and a page sent for it is resolved. */
  async caseClosed(c: StoredCase, by: string): Promise<void> {
    for (const flow of await this.deps.store.forCase(c._id)) {
      if (TERMINAL.has(flow.state)) continue;
      if (await this.move(flow, 'cancelled', { cause: 'case_closed', by, note: `case #${c.number} closed` })) {
        for (const m of [flow.messages.user, flow.messages.manager]) if (m) await this.settle(flow, m, `Case #${c.number} was closed: this question is withdrawn.`);
      }
    }
    await this.escalation.resolvePage(c);
  }

  /** Claims `flow.state -> to` and runs what entering `to` does; false when someone else moved it first. */
  async move(flow: StoredFlow, to: FlowState, t: { cause: TransitionCause; by: string; answer?: Answer; note?: string }): Promise<boolean> {
    const won = await this.deps.store.transition(flow._id, flow.state, to, t);
    if (!won) return false;
    await this.caseEvent(flow, t.by, 'confirmation_transition', { flowId: flow._id, from: flow.state, to, cause: t.cause, ...(t.note ? { note: t.note } : {}) });
    this.deps.logger.info({ flow: flow._id, from: flow.state, to, cause: t.cause, by: t.by }, 'confirmation flow moved');
    await this.alertNote(flow, t.by, `${STEP_NOTE[to]}${t.cause === 'timeout' ? ' (no answer in time)' : ''}`);
    const entered = await this.require(flow._id);
    if (to === 'pending_manager') await this.escalation.askManager(entered);
    else if (to === 'escalated') await this.escalation.onCall(entered);
    else if (to === 'resolved') await this.escalation.resolved(entered);
    return true;
  }

  async schedule(flowId: string, state: FlowState, when: Date): Promise<void> {
    if (!this.scheduler) throw new Error('confirmations are not registered with the job runner');
    await this.scheduler.schedule(this.deadlineJob, when, { flowId, state });
  }

  async settle(flow: StoredFlow, message: { channel: string; ts: string }, line: string): Promise<void> {
    try {
      await this.messenger().settle(message, flow, line);
    } catch (err) {
      this.deps.logger.warn({ err, flow: flow._id }, 'could not update a confirmation DM');
    }
  }

  messenger(): FlowMessenger {
    const m = this.deps.messenger();
    if (!m) throw new Error('no Slack messenger for confirmations: enable the confirmations plugin');
    return m;
  }

  async caseEvent<K extends CaseEventKind>(flow: StoredFlow, actor: string, kind: K, data: CaseEventData[K]): Promise<void> {
    const event = await this.deps.cases.store.appendEvent(flow.caseId, actor, kind, data);
    const after = await this.deps.cases.store.get(flow.caseId);
    if (after) this.deps.cases.service.events.emit('updated', after, event);
  }

  /** A line in the alert's history (its card and API show it). */
  async alertNote(flow: StoredFlow, by: string, note: string): Promise<void> {
    if (!flow.alertId) return;
    const entry: AlertHistoryEntry = { at: new Date(), kind: 'confirmation', by, note };
    const after = await this.deps.alerts.collection.findOneAndUpdate({ _id: flow.alertId }, { $push: { history: entry }, $set: { updatedAt: entry.at } }, { returnDocument: 'after' });
    if (after) this.deps.alertEvents?.emit('noted', after, entry);
  }

  private async signalsOf(keys: string[]): Promise<Signal[]> {
    const wanted = keys.slice(-20);
    const docs = await this.deps.signals.collection.find({ _id: { $in: wanted } }).toArray();
    const byKey = new Map(docs.map((d) => [d._id, d.signal as Signal]));
    return wanted.map((k) => byKey.get(k)).filter((s): s is Signal => s !== undefined);
  }
}

// Flows in MongoDB. A flow document holds where the flow stands; every transition is its own document whose
// _id `<flowId>:<from>` is the arbiter: FerretDB's conditional updates are not atomic, so "move the flow if it
// is still pending_user" cannot be an update. Whoever inserts the transition first moves the flow; a double
// click, a second replica or a late deadline job finds the _id taken and changes nothing. Answers are claimed
// the same way (`<flowId>:answer:user`), so one person's two clicks record one answer.
import { randomBytes } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { ensureCollectionIndexes } from '../store/collections.js';
import { isDuplicateKeyError } from '../store/mongo.js';
import type { Answer, FlowState, FlowTransition, StoredFlow, TransitionCause } from './model.js';

export const FLOW_COLLECTIONS = {
  flows: 'confirmation_flows',
  transitions: 'confirmation_transitions',
  pages: 'confirmation_pages',
} as const;

export function newFlowId(): string {
  return randomBytes(12).toString('hex');
}

export class FlowStore {
  readonly flows: Collection<StoredFlow>;
  readonly transitions: Collection<FlowTransition>;
  private readonly claims: Collection<{ _id: string; flowId: string; by: string; at: Date }>;
  private readonly pages: Collection;

  constructor(db: Db) {
    this.flows = db.collection<StoredFlow>(FLOW_COLLECTIONS.flows);
    this.transitions = db.collection<FlowTransition>(FLOW_COLLECTIONS.transitions);
    this.claims = db.collection(`${FLOW_COLLECTIONS.transitions}_claims`);
    this.pages = db.collection(FLOW_COLLECTIONS.pages);
  }

  async ensureIndexes(): Promise<void> {
    await ensureCollectionIndexes(this.flows, [
      // scalar_ (src/store/collections.ts): caseId, alertId, flowId and status strings, createdAt and at dates (model.ts)
      { key: { caseId: 1, createdAt: -1 }, name: 'scalar_case', replaces: 'case' },
      { key: { alertId: 1 }, name: 'scalar_alert', replaces: 'alert' },
    ]);
    await ensureCollectionIndexes(this.transitions, [{ key: { flowId: 1, at: 1 }, name: 'scalar_flow', replaces: 'flow' }]);
    // Created here, not by a first insert in the middle of other writes: the embedded database is fragile then.
    await ensureCollectionIndexes(this.claims, [{ key: { flowId: 1 }, name: 'scalar_flow', replaces: 'flow' }]);
    await ensureCollectionIndexes(this.pages, [
      { key: { flowId: 1 }, name: 'scalar_flow', replaces: 'flow' },
      { key: { status: 1 }, name: 'scalar_status', replaces: 'status' },
    ]);
  }

  get(id: string): Promise<StoredFlow | null> {
    return this.flows.findOne({ _id: id });
  }

  forCase(caseId: string): Promise<StoredFlow[]> {
    return this.flows.find({ caseId }).sort({ createdAt: -1 }).limit(50).toArray();
  }

  history(flowId: string): Promise<FlowTransition[]> {
    return this.transitions.find({ flowId }).sort({ at: 1 }).toArray();
  }

  async insert(flow: StoredFlow, by: string): Promise<void> {
    await this.transitions.insertOne({ _id: `${flow._id}:new`, flowId: flow._id, from: 'new', to: flow.state, cause: 'started', by, at: flow.createdAt });
    await this.flows.insertOne(flow);
  }

  /**
   * Moves the flow out of `from`, if no one has: true for the one caller that wins. The flow document follows
   * the winner's transition (its `state` is never written by a loser).
   */
  async transition(flowId: string, from: FlowState, to: FlowState, t: { cause: TransitionCause; by: string; answer?: Answer; note?: string }, set: Partial<StoredFlow> = {}): Promise<boolean> {
    const at = new Date();
    try {
      await this.transitions.insertOne({ _id: `${flowId}:${from}`, flowId, from, to, at, ...t });
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
    await this.flows.updateOne({ _id: flowId }, { $set: { ...set, state: to, updatedAt: at } });
    return true;
  }

  /** Claims a one-time thing of a flow (an answer); false when it was claimed before. */
  async claim(flowId: string, what: string, by: string): Promise<boolean> {
    try {
      await this.claims.insertOne({ _id: `${flowId}:${what}`, flowId, by, at: new Date() });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  async set(flowId: string, set: Partial<StoredFlow>): Promise<void> {
    await this.flows.updateOne({ _id: flowId }, { $set: { ...set, updatedAt: new Date() } });
  }

  async problem(flowId: string, message: string): Promise<void> {
    await this.flows.updateOne({ _id: flowId }, { $push: { problems: { at: new Date(), message } }, $set: { updatedAt: new Date() } });
  }
}

// In-process case events, apart from the service so that the plugin API can name them without importing it.

import { EventEmitter } from 'node:events';
import type { CaseEvent, StoredCase } from './model.js';

export interface CaseEventMap {
  created: [StoredCase, CaseEvent];
  /** Any later change, including the backend's progress (linked, failed): the case after it, and the event. */
  updated: [StoredCase, CaseEvent];
}

/** In-process case events; plugins subscribe through `ctx.cases.events`. Listener errors are the listener's. */
export class CaseEvents extends EventEmitter<CaseEventMap> {}

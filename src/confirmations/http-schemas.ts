// The zod schemas of the confirmation HTTP API (http-routes.ts), exported for the OpenAPI document.
import { z } from 'zod';
import { alertIdSchema } from '../cases/model.js';
import { flowIdSchema } from './model.js';

export const startConfirmationBody = z
  .strictObject({
    alertId: alertIdSchema.optional(),
    /** A case id (24 hex) or number. */
    caseId: z.union([z.string().regex(/^([0-9a-f]{24}|#?\d{1,9})$/, 'a case id (24 hex characters) or number'), z.number().int().positive()]).optional(),
    /** E-mail, username, or Slack user id of the person to ask. */
    user: z.string().trim().min(1, 'whom to ask: an e-mail, username or Slack user id').max(200),
    /** Shown to the user instead of the rule's name. */
    question: z.string().trim().min(1).max(500).optional(),
  })
  .refine((b) => b.alertId !== undefined || b.caseId !== undefined, { message: 'give alertId or caseId', path: ['alertId'] });
export type StartConfirmationBody = z.output<typeof startConfirmationBody>;

export const confirmationParams = z.strictObject({ id: flowIdSchema });

const person = z.object({ ref: z.string().optional(), email: z.string().optional(), username: z.string().optional(), displayName: z.string().optional(), slackUserId: z.string().optional() });
const answer = z.object({ answer: z.string(), by: z.string(), at: z.string() });

/** What GET and POST answer: where the flow stands, and every transition (who, when, why). */
export const confirmationResponse = z.object({
  id: z.string(),
  state: z.enum(['pending_user', 'pending_manager', 'escalated', 'resolved', 'cancelled']),
  alertId: z.string().optional(),
  caseId: z.string(),
  caseNumber: z.number(),
  severity: z.string(),
  user: person,
  userUnresolved: z.string().optional(),
  manager: person.optional(),
  managerUnresolved: z.string().optional(),
  oncall: person.optional(),
  oncallUnresolved: z.string().optional(),
  userAnswer: answer.optional(),
  managerAnswer: answer.optional(),
  deadline: z.string().optional(),
  problems: z.array(z.object({ at: z.string(), message: z.string() })),
  pages: z.array(z.object({ action: z.string(), status: z.string(), attempts: z.number(), lastError: z.string().optional() })),
  transitions: z.array(z.object({ from: z.string(), to: z.string(), cause: z.string(), by: z.string(), at: z.string(), answer: z.string().optional(), note: z.string().optional() })),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type ConfirmationResponse = z.infer<typeof confirmationResponse>;

// Settings of the generic webhook source: one entry per source name, each saying where the Signal fields are
// in the sender's JSON. Paths are checked here, so a typo fails at start-up, not on the first event.
import { z } from 'zod';
import { parsePath } from '../../src/signals/extractors.js';
import { severitySchema } from '../../src/signals/signal.js';

/** A path into the event: `a.b[0].c`, `labels["x.y"]`. */
const path = z.string().superRefine((value, ctx) => {
  try {
    parsePath(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

// Source names become webhook paths (POST /signals/<name>), with the route-name rule of the plugin host.
const SOURCE_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const artifactField = z.string().regex(/^[a-z][a-z0-9_]*$/, 'an artifact field is lower-case snake_case, e.g. src_ip');

export const sourceMappingSchema = z
  .strictObject({
    /** The event's unique id (with the source name it identifies the signal; redeliveries are duplicates). */
    id: path,
    /** The signal type: a path into the event, or a constant for every event of this source. */
    type: z.union([path, z.strictObject({ value: z.string().min(1) })]),
    /** Event time: ISO-8601 with an offset or Z, or epoch seconds/milliseconds. */
    occurredAt: path,
    severity: path.optional(),
    /** Vendor severity value (as text) -> info|low|medium|high|critical. */
    severityMap: z.record(z.string(), severitySchema).optional(),
    title: path.optional(),
    link: path.optional(),
    artifacts: z.record(artifactField, path).default({}),
    tags: path.optional(),
    /** Where the events are when the body is an envelope, e.g. "data.events"; absent: the body is one event. */
    events: path.optional(),
  })
  .refine((m) => !m.severityMap || m.severity, { message: 'severityMap needs severity (the path to map from)', path: ['severityMap'] });
export type SourceMapping = z.infer<typeof sourceMappingSchema>;

export const webhookConfigSchema = z.strictObject({
  sources: z.record(z.string(), sourceMappingSchema).superRefine((sources, ctx) => {
    const names = Object.keys(sources);
    if (names.length === 0) ctx.addIssue({ code: 'custom', message: 'configure at least one source' });
    for (const name of names.filter((n) => !SOURCE_NAME.test(n))) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'a source name is lower-case letters, digits, - and _ (it is the webhook path /signals/<name>)' });
    }
  }),
});
export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

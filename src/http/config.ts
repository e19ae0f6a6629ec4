// The `http` section of the config file: outbound HTTP for every plugin (proxies come from the environment).
import { z } from 'zod';

export const httpConfigSchema = z.strictObject({
  /** Deadline of one call, retries included. */
  timeoutMs: z.number().int().positive().default(30_000),
  connectTimeoutMs: z.number().int().positive().default(10_000),
  /** Retries after the first attempt (see src/http/retry.ts for what is retried). */
  retries: z.number().int().min(0).max(10).default(2),
  /** A Retry-After longer than this is not waited for: the answer goes back to the plugin. */
  maxRetryAfterMs: z.number().int().min(0).default(30_000),
  connectionsPerOrigin: z.number().int().positive().default(32),
  /** PEM files of extra CAs (a TLS-inspecting proxy, a private PKI), relative to the config file; NODE_EXTRA_CA_CERTS works too. */
  caFiles: z.array(z.string().min(1)).default([]),
});
export type HttpConfig = z.infer<typeof httpConfigSchema>;

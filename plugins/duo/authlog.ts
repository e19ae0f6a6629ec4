// The parts of a Duo Admin API authentication log entry the mapper reads. v2 (/admin/v2/logs/authentication)
// nests the user and the access device; v1 had flat `username`, `ip` and `location`: both are read.
import { z } from 'zod';

const location = z.looseObject({ city: z.string().nullish(), state: z.string().nullish(), country: z.string().nullish() }).nullish();

export const authlogSchema = z.looseObject({
  txid: z.string().min(1),
  result: z.string().min(1),
  factor: z.string().nullish(),
  reason: z.string().nullish(),
  event_type: z.string().nullish(),
  isotimestamp: z.string().nullish(),
  timestamp: z.union([z.number(), z.string()]).nullish(),
  email: z.string().nullish(),
  user: z.looseObject({ name: z.string().nullish() }).nullish(),
  access_device: z.looseObject({ ip: z.string().nullish(), hostname: z.string().nullish(), location }).nullish(),
  // The device that answered the second factor (the phone), which may sit far from the access device.
  auth_device: z.looseObject({ ip: z.string().nullish(), name: z.string().nullish() }).nullish(),
  application: z.looseObject({ name: z.string().nullish() }).nullish(),
  // v1
  username: z.string().nullish(),
  ip: z.string().nullish(),
  location,
  integration: z.string().nullish(),
});
export type Authlog = z.infer<typeof authlogSchema>;

/** "Duo Push" (v1) and "duo_push" (v2) are one factor: lower-case, spaces as underscores. */
export function factorKey(factor: string | null | undefined): string | undefined {
  const key = factor?.trim().toLowerCase().replace(/\s+/g, '_');
  return key ? key : undefined;
}

// Error types the whole app shares. A UserError is a problem the person who sent the request can act on:
// it is shown to them as it is. Anything else is a bug or an outage: the person sees an error id, the log
// holds the details under that id.
import { randomBytes } from 'node:crypto';

export class UserError extends Error {
  override readonly name = 'UserError';
}

/** Start-up problems: printed as one line each, then the process exits with EXIT_CONFIG. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export const EXIT_CONFIG = 78; // EX_CONFIG from sysexits.h
export const EXIT_UNAVAILABLE = 69; // EX_UNAVAILABLE: a dependency (MongoDB) cannot be reached

/** A short id a user can quote to an admin, who finds the matching log line. */
export function newErrorId(): string {
  return randomBytes(5).toString('hex');
}

// The second set of published Okta events (shared/fixtures/vendor-samples-2), with the fields a SOC analyst
// names from Okta's System Log documentation: the outcome in the type, actor and target users, address, place.
import { describe, expect, it } from 'vitest';
import { readSample2Json } from '../../test/support/vendor-samples.js';
import { mapOktaEvent } from './map.js';

const map = (file: string) => {
  const mapped = mapOktaEvent(readSample2Json(file), 0);
  expect(mapped.error).toBeUndefined();
  return mapped.signal!;
};

describe('okta source: second sample set', () => {
  it('K1: an account lock is a lockout, not a failed login', () => {
    const s = map('okta-K1-account-lock.json');
    expect(s.type).toBe('okta_account_lockout');
    expect(s.occurredAt).toBe('2025-10-10T04:31:28.072Z');
    expect(s.artifacts).toMatchObject({ username: 'john.doe@example.com', email: 'john.doe@example.com', src_ip: '1.2.3.4', geo_region: 'Ile-de-France', geo_city: 'Paris', geo_country: 'France', reason: 'LOCKED_OUT' });
    expect(s.artifacts.ip_chain).toBeUndefined(); // the chain is the client address alone
    expect(s.artifacts.target_username).toBeUndefined(); // the target is the actor: named once
  });

  it('K2: a failed MFA is typed as a failure', () => {
    const s = map('okta-K2-mfa-password-failure.json');
    expect(s.type).toBe('okta_user_authentication_auth_via_mfa_failure');
    expect(s.artifacts).toMatchObject({ username: 'kd@hcl.com', email: 'kd@hcl.com', src_ip: '1.2.2.3', geo_region: 'Virginia', reason: 'INVALID_CREDENTIALS' });
    expect(s.occurredAt).toBe('2022-11-17T06:27:22.460Z');
    // "11.111.111" in its ipChain is no address; the Password "target" is no person.
    expect(s.artifacts.ip_chain).toBeUndefined();
    expect(s.artifacts.target_username).toBeUndefined();
  });

  it('K3: a factor activation is an enrollment, not a login', () => {
    const s = map('okta-K3-mfa-factor-activate.json');
    expect(s.type).toBe('okta_user_mfa_factor_activate');
    expect(s.type).not.toMatch(/login|session/);
    expect(s.artifacts).toMatchObject({ username: 'aps@google.com', src_ip: '1.1.1.1', ip_chain: '2.2.2.2', geo_country: 'India' });
  });

  it('K4: a login through an IdP names the user who logged in (Okta itself is the actor)', () => {
    const s = map('okta-K4-auth-via-idp.json');
    expect(s.type).toBe('okta_user_authentication_auth_via_idp');
    expect(s.artifacts).toMatchObject({ username: 'john.doe@example.org', email: 'john.doe@example.org', src_ip: '1.2.3.4', application: 'SAML 2.0 IdP' });
    expect(s.occurredAt).toBe('2022-11-15T08:04:22.213Z');
  });

  it('an admin action names the actor and the user acted on', () => {
    const base = readSample2Json<Record<string, unknown>>('okta-K3-mfa-factor-activate.json');
    const s = mapOktaEvent({ ...base, uuid: 'admin-1', eventType: 'user.mfa.factor.reset_all', actor: { type: 'User', alternateId: 'admin@example.com' }, target: [{ type: 'User', alternateId: 'Victim@Example.com' }] }, 0).signal!;
    expect(s.artifacts).toMatchObject({ username: 'admin@example.com', target_username: 'victim@example.com', email: ['admin@example.com', 'victim@example.com'] });
  });
});

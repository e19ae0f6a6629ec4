// The second set of published Duo authentication logs (shared/fixtures/vendor-samples-2), with the fields a SOC
// analyst names from Duo's Admin API documentation: the outcome in the type, the user and e-mail, address, place.
import { describe, expect, it } from 'vitest';
import { readSample2Json } from '../../test/support/vendor-samples.js';
import { mapDuoBody } from './map.js';

const map = (file: string, unwrap?: (body: any) => unknown) => {
  const body = readSample2Json(file);
  const [mapped] = mapDuoBody(unwrap ? unwrap(body) : body);
  expect(mapped!.error).toBeUndefined();
  return mapped!.signal!;
};

describe('duo source: second sample set', () => {
  it('U1: a push denied for no response is a denied push, with the user\'s e-mail', () => {
    const s = map('duo-U1-push-denied-no-response.json');
    expect(s.type).toBe('duo_push_denied');
    // The instant Duo names, microseconds kept.
    expect(s.occurredAt).toBe('2022-08-28T13:34:16.080820+00:00');
    expect(s.artifacts).toMatchObject({ username: 'test@demisto.com', email: 'test@demisto.com' });
  });

  it('U2: a push the user marked as fraud is typed fraud, severity high', () => {
    const s = map('duo-U2-push-fraud.json');
    expect([s.type, s.severity]).toEqual(['duo_push_fraud', 'high']);
    expect(s.artifacts).toMatchObject({ username: 'abc', email: 'abc@example.com' });
  });

  it('U3: a remembered-device login is a success', () => {
    const s = map('duo-U3-remembered-device.json');
    expect(s.type).toBe('duo_auth_success');
    expect(s.artifacts).toMatchObject({ username: 'vsainterosemeril', email: 'john.doe@example.com' });
  });

  it('U4: an enrollment is not a login (v2 envelope)', () => {
    const s = map('duo-U4-enrollment.json');
    expect(s.type).toBe('duo_enrollment');
    expect(s.artifacts).toMatchObject({ username: 'example-user2' });
  });
});

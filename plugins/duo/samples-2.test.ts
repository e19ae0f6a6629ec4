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
    expect(s.artifacts).toMatchObject({ username: 'test@demisto.com', email: 'test@demisto.com', src_ip: '1.1.1.1', auth_device_ip: '1.1.1.1', application: 'Auth API' });
  });

  it('U2: a push the user marked as fraud is typed fraud, severity high', () => {
    const s = map('duo-U2-push-fraud.json');
    expect([s.type, s.severity]).toEqual(['duo_push_fraud', 'high']);
    expect(s.artifacts).toMatchObject({ username: 'abc', email: 'abc@example.com', src_ip: '185.64.148.0', auth_device_ip: '185.64.148.0', application: 'Google Workspace Login' });
    // Duo's "-" placeholders are no place.
    expect(s.artifacts.geo_country).toBeUndefined();
  });

  it('U3: a remembered-device login is a success', () => {
    const s = map('duo-U3-remembered-device.json');
    expect(s.type).toBe('duo_auth_success');
    expect(s.artifacts).toMatchObject({ username: 'vsainterosemeril', email: 'john.doe@example.com', src_ip: '1.2.3.4', geo_city: 'Paris', geo_region: 'Île-de-France', geo_country: 'France' });
    expect(s.artifacts.auth_device_ip).toBeUndefined(); // a remembered device: no second device answered
  });

  it('U4: an enrollment is not a login (v2 envelope)', () => {
    const s = map('duo-U4-enrollment.json');
    expect(s.type).toBe('duo_enrollment');
    expect(s.artifacts).toMatchObject({ username: 'example-user2', src_ip: '198.51.100.1', geo_city: 'Los Angeles', geo_region: 'California', geo_country: 'United States', application: 'User Portal' });
    expect(s.occurredAt).toBe('2023-05-29T11:07:38.631165+00:00');
  });
});

// The second set of published Carbon Black alerts (shared/fixtures/vendor-samples-2), with the fields a SOC
// analyst names from the Alerts v7 and EDR event forwarder documentation.
import { describe, expect, it } from 'vitest';
import { readSample2Json } from '../../test/support/vendor-samples.js';
import { mapCarbonBlack } from './map.js';

const map = (file: string) => {
  const mapped = mapCarbonBlack(readSample2Json(file));
  for (const m of mapped) expect(m.error).toBeUndefined();
  return mapped.map((m) => m.signal!);
};

describe('carbonblack source: second sample set', () => {
  it('C1: an IDS alert names the device, its user, process, hashes and both addresses', () => {
    const [s] = map('carbonblack-C1-ids-log4shell.json');
    expect(s!.type).toBe('edr_alert'); // sensor_action ALLOW, policy NOT_APPLIED, run_state RAN: it ran
    expect(s!.artifacts).toMatchObject({ username: 'demomachine', hostname: 'dev01-39x-1', src_ip: '66.170.99.2', internal_ip: '10.203.105.21', process: 'c:\\windows\\system32\\curl.exe' });
  });

  it('C2: a container runtime alert names the pod\'s local address and port, the remote end and the workload', () => {
    const [s] = map('carbonblack-C2-container-runtime.json');
    expect(s!.occurredAt).toBe('2023-07-18T00:02:17.465Z');
    expect(s!.artifacts).toMatchObject({
      src_ip: '10.224.0.74', src_port: 56802, dst_ip: '10.10.10.10', dst_port: 443, domain: 'westus3.monitoring.azure.com',
      k8s_namespace: 'kube-system', k8s_pod: 'ama-logs-svxpg', k8s_workload: 'ama-logs', category: 'container_runtime',
    });
  });

  it('C3: an EDR binary watchlist hit keeps the host, the hash and the watchlist, with microseconds', () => {
    const [s] = map('carbonblack-C3-edr-binary-watchlist.json');
    expect(s!.occurredAt).toBe('2016-07-19T16:29:58.891353Z');
    expect(s!.artifacts).toMatchObject({ hostname: 'jason-win81-vm', md5: 'acf87af3b4b7f0d4c0ece41f2a8fda8e', signature: 'google' });
  });

  it('an alert whose activity the sensor denied or that never ran is typed apart from one that ran', () => {
    const base = readSample2Json<Record<string, unknown>>('carbonblack-C1-ids-log4shell.json');
    const typeOf = (change: Record<string, unknown>) => mapCarbonBlack({ ...base, ...change })[0]!.signal!.type;
    expect(typeOf({ sensor_action: 'DENY', policy_applied: 'APPLIED' })).toBe('edr_alert_blocked');
    expect(typeOf({ sensor_action: 'TERMINATE' })).toBe('edr_alert_blocked');
    expect(typeOf({ run_state: 'DID_NOT_RUN' })).toBe('edr_alert_blocked');
    expect(typeOf({})).toBe('edr_alert');
  });

  it('C4: a search envelope maps every alert in it', () => {
    const signals = map('carbonblack-C4-search-envelope.json');
    expect(signals.length).toBeGreaterThan(0);
    expect(signals[0]!.artifacts).toMatchObject({ username: 'test@carbonblack.com', hostname: 'test', process: 'cmd.exe' });
  });
});

import { describe, expect, it } from 'vitest';
import { checkWorkloadCertTtl, MIN_WORKLOAD_CERT_TTL_MS } from './workload-cert-ttl.js';

const NOW = 1_700_000_000_000;
const DAY = 86_400_000;

describe('checkWorkloadCertTtl', () => {
  it('accepts a lifetime between the minimum and the issuer expiry', () => {
    expect(checkWorkloadCertTtl(MIN_WORKLOAD_CERT_TTL_MS, NOW + DAY, NOW)).toEqual({
      type: 'ok',
      ttlMs: MIN_WORKLOAD_CERT_TTL_MS,
    });
    expect(checkWorkloadCertTtl(DAY, NOW + DAY, NOW)).toEqual({ type: 'ok', ttlMs: DAY });
  });

  it('refuses less than the minimum, and non-numbers', () => {
    const r = checkWorkloadCertTtl(MIN_WORKLOAD_CERT_TTL_MS - 1, NOW + DAY, NOW);
    expect(r).toMatchObject({ type: 'invalid', message: expect.stringContaining('at least 10s') });
    expect(checkWorkloadCertTtl(Number.NaN, NOW + DAY, NOW).type).toBe('invalid');
  });

  it('refuses more than the issuer has left, naming its expiry', () => {
    const r = checkWorkloadCertTtl(DAY + 1000, NOW + DAY, NOW);
    expect(r).toMatchObject({ type: 'invalid', message: expect.stringContaining('issuer has left (86400s') });
  });
});

/** Prometheus metrics of the Identity service. */
import type { Clock } from '@weft/core';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Counters the Certify handler updates. */
export interface IdentityMetrics {
  issued(): void;
  failed(reason: string): void;
}

/**
 * Registers `weft_identity_certificates_issued_total`, `weft_identity_certify_failures_total{reason}`
 * and `weft_identity_issuer_expiry_seconds` (seconds until the issuer certificate expires, read at
 * scrape time) in `registry`.
 */
export function createIdentityMetrics(options: {
  registry: Registry;
  clock: Clock;
  issuerNotAfter: () => number;
}): IdentityMetrics {
  const issued = new Counter({
    name: 'weft_identity_certificates_issued_total',
    help: 'Workload certificates issued by Certify.',
    registers: [options.registry],
  });
  const failures = new Counter({
    name: 'weft_identity_certify_failures_total',
    help: 'Certify requests refused, by reason.',
    labelNames: ['reason'],
    registers: [options.registry],
  });
  new Gauge({
    name: 'weft_identity_issuer_expiry_seconds',
    help: 'Seconds until the issuer (intermediate) certificate expires.',
    registers: [options.registry],
    collect() {
      this.set((options.issuerNotAfter() - options.clock.now()) / 1000);
    },
  });
  return {
    issued: () => issued.inc(),
    failed: (reason) => failures.inc({ reason }),
  };
}

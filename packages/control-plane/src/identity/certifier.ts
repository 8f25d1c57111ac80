/** Certify's decision logic, free of gRPC: token -> identity -> rate limit -> CSR -> certificate. */

import {
  type Clock,
  describeError,
  formatSpiffeId,
  isWeftError,
  systemClock,
  type WeftErrorCode,
} from '@weft/core';
import { type CertificateAuthority, type IssuedCertificate, MAX_CSR_BYTES } from '@weft/pki';
import { type Logger, silentLogger } from '@weft/runtime';
import { type CertifyPaceOptions, CertifyPacer, DEFAULT_CERTIFY_PACE } from './certify-pacer.js';
import type { IdentityMetrics } from './metrics.js';
import { KeyedRateLimiter, type RateLimitOptions } from './rate-limiter.js';
import type { TokenValidator } from './token-validator.js';

/** The result of {@link Certifier.certify}. `reason` is the failure metric's label. */
export type CertifyOutcome =
  | { type: 'issued'; certificate: IssuedCertificate; trustAnchors: readonly Buffer[] }
  | { type: 'failed'; code: WeftErrorCode; reason: string; message: string };

/** Options for {@link Certifier}. */
export interface CertifierOptions {
  readonly ca: CertificateAuthority;
  readonly validator: TokenValidator;
  readonly metrics?: IdentityMetrics;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Per-identity limit (default: burst 50, 300 per minute). */
  readonly rateLimit?: RateLimitOptions;
  /** Mesh-wide issuance pace (default {@link DEFAULT_CERTIFY_PACE}). */
  readonly pace?: CertifyPaceOptions;
}

/** One Certify request as the gRPC handler hands it over. */
export interface CertifyRequest {
  readonly token: string;
  readonly csr: Uint8Array;
  /** Aborted when the caller cancels or its deadline passes; an aborted request is not signed. */
  readonly signal?: AbortSignal;
  /** The longest this request may wait for its issuance slot (what is left of its deadline). */
  readonly waitLimitMs?: number;
}

/** Default per-identity rate limit: replicas of one service account share it. */
export const DEFAULT_CERTIFY_RATE_LIMIT: RateLimitOptions = { burst: 50, perMinute: 300 };

/** Issues workload certificates for authenticated tokens. */
export class Certifier {
  private ca: CertificateAuthority;
  private readonly validator: TokenValidator;
  private readonly metrics: IdentityMetrics | undefined;
  private readonly logger: Logger;
  private readonly limiter: KeyedRateLimiter;
  private readonly pacer: CertifyPacer;

  constructor(options: CertifierOptions) {
    this.ca = options.ca;
    this.validator = options.validator;
    this.metrics = options.metrics;
    this.logger = options.logger ?? silentLogger();
    this.limiter = new KeyedRateLimiter(
      options.rateLimit ?? DEFAULT_CERTIFY_RATE_LIMIT,
      options.clock ?? systemClock,
    );
    this.pacer = new CertifyPacer(options.pace ?? DEFAULT_CERTIFY_PACE, options.clock ?? systemClock);
  }

  /** The authority in use. */
  get authority(): CertificateAuthority {
    return this.ca;
  }

  /** Swaps the authority (issuer rotation); requests in flight finish with the old one. */
  replaceAuthority(ca: CertificateAuthority): void {
    this.ca = ca;
  }

  /** Handles one request. Never throws. */
  async certify(request: CertifyRequest): Promise<CertifyOutcome> {
    const outcome = await this.decide(request);
    if (outcome.type === 'issued') {
      this.metrics?.issued();
      this.logger.debug(
        { identity: outcome.certificate.identity, serial: outcome.certificate.serialHex },
        'issued',
      );
    } else {
      this.metrics?.failed(outcome.reason);
      this.logger.debug(
        { reason: outcome.reason, code: outcome.code },
        `certify refused: ${outcome.message}`,
      );
    }
    return outcome;
  }

  private async decide(request: CertifyRequest): Promise<CertifyOutcome> {
    if (request.csr.length > MAX_CSR_BYTES) {
      return fail(
        'INVALID_ARGUMENT',
        'csr-too-large',
        `CSR is ${request.csr.length} bytes (limit ${MAX_CSR_BYTES})`,
      );
    }
    let validation: Awaited<ReturnType<TokenValidator['validate']>>;
    try {
      validation = await this.validator.validate(request.token);
    } catch (err) {
      this.logger.warn({ err: describeError(err) }, 'token validation unavailable');
      return fail(
        'UNAVAILABLE',
        'token-validation-unavailable',
        'cannot validate the token right now; retry',
      );
    }
    if (validation.type === 'rejected') {
      return fail(
        'UNAUTHENTICATED',
        `token-${validation.reason}`,
        `token rejected (${validation.reason}): ${validation.message}`,
      );
    }
    let identity: string;
    try {
      identity = formatSpiffeId({
        trustDomain: this.ca.trustDomain,
        namespace: validation.namespace,
        serviceAccount: validation.serviceAccount,
      });
    } catch {
      return fail(
        'UNAUTHENTICATED',
        'bad-identity',
        'the token names an invalid namespace or service account',
      );
    }
    if (!this.limiter.tryAcquire(identity)) {
      return fail(
        'RESOURCE_EXHAUSTED',
        'rate-limited',
        `too many certificate requests for ${identity}; retry later`,
      );
    }
    // A request whose caller gives up while it waits for its slot is not signed: after a
    // restart, signing for callers already gone is what turns a queue into a stampede.
    if (!(await this.pacer.admit(request.waitLimitMs))) {
      return fail(
        'RESOURCE_EXHAUSTED',
        'ca-busy',
        'the CA is issuing at its configured rate and the queue is full; retry later',
      );
    }
    if (request.signal?.aborted === true) {
      return fail('DEADLINE_EXCEEDED', 'caller-gone', 'the caller went away before its turn');
    }
    try {
      const result = this.ca.issue({ csr: request.csr, identity });
      if (result.type === 'rejected') {
        return fail(
          'INVALID_ARGUMENT',
          `csr-${result.reason}`,
          `bad CSR (${result.reason}): ${result.message}`,
        );
      }
      return { type: 'issued', certificate: result.certificate, trustAnchors: this.ca.trustAnchors.ders() };
    } catch (err) {
      if (isWeftError(err, 'FAILED_PRECONDITION'))
        return fail('FAILED_PRECONDITION', 'issuer-expired', err.message);
      if (isWeftError(err, 'INVALID_ARGUMENT')) return fail('UNAUTHENTICATED', 'bad-identity', err.message);
      this.logger.error({ err: describeError(err) }, 'certificate issuance failed');
      return fail('INTERNAL', 'internal', 'certificate issuance failed');
    }
  }
}

function fail(code: WeftErrorCode, reason: string, message: string): CertifyOutcome {
  return { type: 'failed', code, reason, message };
}

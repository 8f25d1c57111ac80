/** The gRPC Identity service (Certify) on the control plane's grpc.Server. */

import { Metadata, type Server, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import {
  type CertifyRequest__Output,
  type CertifyResponse,
  type IdentityHandlers,
  loadIdentityProto,
} from '@weft/api';
import { type Clock, systemClock } from '@weft/core';
import type { CertificateAuthority } from '@weft/pki';
import type { Logger } from '@weft/runtime';
import type { Registry } from 'prom-client';
import { startCertifySpan, type TracerSource } from '../telemetry/control-plane-tracing.js';
import { Certifier } from './certifier.js';
import type { CertifyPaceOptions } from './certify-pacer.js';
import { grpcStatusOf } from './grpc-status.js';
import { createIdentityMetrics } from './metrics.js';
import type { RateLimitOptions } from './rate-limiter.js';
import type { TokenValidator } from './token-validator.js';

/** Options for {@link addIdentityService}. */
export interface IdentityServiceOptions {
  readonly ca: CertificateAuthority;
  readonly validator: TokenValidator;
  /** Where the identity metrics are registered (the control plane's admin /metrics registry). */
  readonly registry?: Registry;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly rateLimit?: RateLimitOptions;
  /** Mesh-wide issuance pace (default 500 certificates/s, 5 s longest wait). */
  readonly pace?: CertifyPaceOptions;
  /** Spans for Certify calls (the binary's tracing); none without it. */
  readonly tracer?: TracerSource;
}

/** Registers Identity.Certify on `server` and returns the Certifier (for issuer rotation). */
export function addIdentityService(server: Server, options: IdentityServiceOptions): Certifier {
  const clock = options.clock ?? systemClock;
  const certifier: Certifier = new Certifier({
    ca: options.ca,
    validator: options.validator,
    clock,
    logger: options.logger?.child({ service: 'identity' }),
    rateLimit: options.rateLimit,
    pace: options.pace,
    metrics: options.registry
      ? createIdentityMetrics({
          registry: options.registry,
          clock,
          issuerNotAfter: () => certifier.authority.issuerNotAfter,
        })
      : undefined,
  });
  const service = loadIdentityProto().weft.identity.v1alpha1.Identity.service;
  const handlers: IdentityHandlers = {
    Certify(
      call: ServerUnaryCall<CertifyRequest__Output, CertifyResponse>,
      callback: sendUnaryData<CertifyResponse>,
    ) {
      const token = bearerToken(call.request.token, call.metadata);
      const span = options.tracer === undefined ? undefined : startCertifySpan(options.tracer());
      const cancelled = new AbortController();
      call.on('cancelled', () => cancelled.abort());
      certifier
        .certify({
          token,
          csr: call.request.csr ?? Buffer.alloc(0),
          signal: cancelled.signal,
          waitLimitMs: remainingMs(call.getDeadline()) - DEADLINE_MARGIN_MS,
        })
        .then(
          (outcome) => {
            if (outcome.type === 'failed') {
              span?.refused(outcome.reason, grpcStatusOf(outcome.code), outcome.message);
              callback({
                code: grpcStatusOf(outcome.code),
                details: outcome.message,
                metadata: reasonMetadata(outcome.reason),
              });
              return;
            }
            const { certificate, trustAnchors } = outcome;
            span?.issued(certificate.identity, certificate.serialHex);
            callback(null, {
              leafCertificate: certificate.certificate,
              intermediateCertificates: certificate.chain.slice(1),
              validUntil: { seconds: String(Math.floor(certificate.notAfter / 1000)), nanos: 0 },
              identity: certificate.identity,
              trustAnchors: [...trustAnchors],
            });
          },
          (err: unknown) => {
            span?.refused('internal', grpcStatusOf('INTERNAL'), String(err));
            callback({ code: grpcStatusOf('INTERNAL'), details: String(err) });
          },
        );
    },
  };
  server.addService(service, handlers);
  return certifier;
}

/** Time kept back from a caller's deadline for signing and the answer's trip. */
const DEADLINE_MARGIN_MS = 250;

/** Milliseconds left before a call's deadline (Infinity without one). */
function remainingMs(deadline: Date | number): number {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) ? at - Date.now() : Number.POSITIVE_INFINITY;
}

/** The token from the request body, or else from `authorization: Bearer …` metadata. */
function bearerToken(bodyToken: string, metadata: Metadata): string {
  if (bodyToken) return bodyToken;
  const header = metadata.get('authorization')[0];
  return typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
}

/** Trailing metadata `weft-reason: <reason>` so that clients can tell failures apart. */
function reasonMetadata(reason: string): Metadata {
  const metadata = new Metadata();
  metadata.set('weft-reason', reason);
  return metadata;
}

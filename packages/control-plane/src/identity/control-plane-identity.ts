/**
 * Everything port 7443 needs for identity, from an identity folder: the CA, the token validators,
 * the serving credentials, Certify registration, and the caller-identity check for Discovery.
 */

import type { Server } from '@grpc/grpc-js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '@weft/core';
import { type LoadedIdentity, loadIdentityDir, type SvidResult } from '@weft/pki';
import type { Logger } from '@weft/runtime';
import type { Registry } from 'prom-client';
import type { Certifier } from './certifier.js';
import { addIdentityService } from './identity-service.js';
import { joinTokenValidator } from './join-token-validator.js';
import { kubernetesTokenReviewer, kubernetesTokenValidator } from './kubernetes-token-validator.js';
import { type CallWithAuthContext, peerIdentity } from './peer-identity.js';
import type { RateLimitOptions } from './rate-limiter.js';
import {
  createIdentityServerCredentials,
  type ServingCredentials,
  type ServingCredentialsOptions,
} from './serving-credentials.js';
import { routingTokenValidator, type TokenValidator } from './token-validator.js';

/** Options for {@link loadControlPlaneIdentity}. */
/** `namespace`, `dnsNames` and `ipAddresses` name the serving certificate (see ServingCredentialsOptions). */
export interface ControlPlaneIdentityOptions
  extends Pick<ServingCredentialsOptions, 'namespace' | 'dnsNames' | 'ipAddresses'> {
  /** The folder `weft identity create-ca` wrote. */
  readonly identityDir: string;
  /** When set, Kubernetes ServiceAccount tokens are checked with TokenReview (join tokens always work). */
  readonly kubeConfig?: KubeConfig;
  /** Workload leaf lifetime (default 24h). */
  readonly leafLifetimeMs?: number;
  readonly rateLimit?: RateLimitOptions;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** The loaded identity of a control plane. */
export interface ControlPlaneIdentity {
  readonly loaded: LoadedIdentity;
  readonly validator: TokenValidator;
  /** grpc-js credentials for port 7443 (client certificates optional). */
  readonly serving: ServingCredentials;
  /** Registers Identity.Certify on `server`; metrics go to `registry` when given. */
  register(server: Server, options?: { registry?: Registry }): Certifier;
  /** The SPIFFE identity of a caller's verified client certificate (Discovery requires one). */
  callerIdentity(call: CallWithAuthContext): SvidResult;
  /** Stops the serving certificate's renewal timer. */
  close(): void;
}

/** Loads an identity folder and builds the pieces of port 7443's identity. Throws PkiError naming a bad file. */
export async function loadControlPlaneIdentity(
  options: ControlPlaneIdentityOptions,
): Promise<ControlPlaneIdentity> {
  const loaded = await loadIdentityDir(options.identityDir, {
    clock: options.clock,
    defaultLifetimeMs: options.leafLifetimeMs,
  });
  const validator = routingTokenValidator({
    joinTokens: joinTokenValidator({
      key: loaded.tokenKey,
      trustDomain: loaded.trustDomain,
      clock: options.clock,
    }),
    kubernetes: options.kubeConfig
      ? kubernetesTokenValidator(kubernetesTokenReviewer(options.kubeConfig))
      : undefined,
  });
  const serving = createIdentityServerCredentials({
    ca: loaded.ca,
    namespace: options.namespace,
    dnsNames: options.dnsNames,
    ipAddresses: options.ipAddresses,
    clock: options.clock,
    logger: options.logger,
  });
  const now = () => (options.clock ? options.clock.now() : Date.now());
  return {
    loaded,
    validator,
    serving,
    register: (server, registerOptions = {}) =>
      addIdentityService(server, {
        ca: loaded.ca,
        validator,
        registry: registerOptions.registry,
        clock: options.clock,
        logger: options.logger,
        rateLimit: options.rateLimit,
      }),
    callerIdentity: (call) =>
      peerIdentity(call, {
        bundle: loaded.trustAnchors,
        trustDomain: loaded.trustDomain,
        now: now(),
        intermediates: [loaded.ca.issuerInfo.der],
      }),
    close: () => serving.close(),
  };
}

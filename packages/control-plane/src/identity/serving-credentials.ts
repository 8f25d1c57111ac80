/**
 * Server credentials for port 7443: a serving certificate from the issuer (rotated before it
 * expires, without restart) and optional client certificates verified against the trust anchors.
 */

import { experimental, type ServerCredentials } from '@grpc/grpc-js';
import {
  type Clock,
  describeError,
  type Random,
  systemClock,
  systemRandom,
  type TimerHandle,
} from '@weft/core';
import {
  type CertificateAuthority,
  CONTROL_PLANE_NAMESPACE,
  CONTROL_PLANE_SERVER_NAME,
  CONTROL_PLANE_SERVICE_ACCOUNT,
  derToPem,
  generateKeyPair,
  privateKeyToPem,
  rotationDelayMs,
} from '@weft/pki';
import { type Logger, silentLogger } from '@weft/runtime';

type CaUpdate = experimental.CaCertificateUpdate;
type CaListener = experimental.CaCertificateUpdateListener;
type IdentityUpdate = experimental.IdentityCertificateUpdate;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** Options for {@link createIdentityServerCredentials}. */
export interface ServingCredentialsOptions {
  /** The authority; a function so that issuer rotation is picked up on the next renewal. */
  readonly ca: CertificateAuthority | (() => CertificateAuthority);
  /** The control plane's namespace (default `weft-system`): names its SPIFFE ID and DNS names. */
  readonly namespace?: string;
  /** The control plane's SPIFFE ID (default `spiffe://<td>/ns/<namespace>/sa/weft-control-plane`). */
  readonly identity?: string;
  /** DNS names clients dial (default: localhost and the in-cluster service names, see {@link controlPlaneDnsNames}). */
  readonly dnsNames?: readonly string[];
  /** IP addresses clients dial (default 127.0.0.1 and ::1). */
  readonly ipAddresses?: readonly string[];
  /** Serving certificate lifetime (default 24h); renewed at about half of it. */
  readonly lifetimeMs?: number;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
}

/** The credentials plus a handle to renew now (after issuer or anchor rotation) and to stop the timer. */
export interface ServingCredentials {
  readonly credentials: ServerCredentials;
  /** The serving certificate chain in use (leaf first, DER). */
  current(): readonly Buffer[];
  /** Issues a new serving certificate and republishes the trust anchors now. */
  renew(): void;
  /** Stops the renewal timer. */
  close(): void;
}

/**
 * Default DNS names of the control plane's serving certificate: localhost, the Service's names in
 * `namespace`, and {@link CONTROL_PLANE_SERVER_NAME} (what workloads check when dialing an IP).
 */
export function controlPlaneDnsNames(namespace = CONTROL_PLANE_NAMESPACE): string[] {
  const svc = `${CONTROL_PLANE_SERVICE_ACCOUNT}.${namespace}.svc`;
  return [
    ...new Set([
      'localhost',
      CONTROL_PLANE_SERVICE_ACCOUNT,
      `${CONTROL_PLANE_SERVICE_ACCOUNT}.${namespace}`,
      svc,
      `${svc}.cluster.local`,
      CONTROL_PLANE_SERVER_NAME,
    ]),
  ];
}

/**
 * Builds grpc-js credentials with `createCertificateProviderServerCredentials(provider, provider,
 * false)`: clients may present a certificate (Discovery requires one in its handler) but need not
 * (Certify authenticates by token).
 */
export function createIdentityServerCredentials(options: ServingCredentialsOptions): ServingCredentials {
  const authority = typeof options.ca === 'function' ? options.ca : () => options.ca as CertificateAuthority;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const logger = options.logger ?? silentLogger();
  const caListeners = new Set<CaListener>();
  const identityListeners = new Set<IdentityListener>();
  let caUpdate: CaUpdate;
  let identityUpdate: IdentityUpdate;
  let chain: readonly Buffer[] = [];
  let timer: TimerHandle | undefined;
  let closed = false;

  const issue = (): void => {
    const ca = authority();
    const { privateKey, publicKey } = generateKeyPair();
    const issued = ca.issueForKey({
      publicKey,
      identity:
        options.identity ??
        `spiffe://${ca.trustDomain}/ns/${options.namespace ?? CONTROL_PLANE_NAMESPACE}/sa/${CONTROL_PLANE_SERVICE_ACCOUNT}`,
      dnsNames: options.dnsNames ?? controlPlaneDnsNames(options.namespace),
      ipAddresses: options.ipAddresses ?? ['127.0.0.1', '::1'],
      lifetimeMs: options.lifetimeMs,
    });
    chain = issued.chain;
    caUpdate = { caCertificate: Buffer.from(ca.trustAnchors.toPem()) };
    identityUpdate = {
      certificate: Buffer.from(issued.chain.map((c) => derToPem(c, 'CERTIFICATE')).join('')),
      privateKey: Buffer.from(privateKeyToPem(privateKey)),
    };
    for (const l of caListeners) l(caUpdate);
    for (const l of identityListeners) l(identityUpdate);
    timer?.cancel();
    if (!closed) {
      const delay = rotationDelayMs({
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        now: clock.now(),
        random,
      });
      timer = clock.setTimeout(renewSafely, Math.max(delay, 1000));
    }
  };
  const renewSafely = (): void => {
    try {
      issue();
    } catch (err) {
      logger.error({ err: describeError(err) }, 'serving certificate renewal failed; retrying in 30s');
      if (!closed) timer = clock.setTimeout(renewSafely, 30_000);
    }
  };
  issue();

  const provider: experimental.CertificateProvider = {
    // grpc-js registers its own watcher only after adding these listeners, so the first update
    // is delivered on a microtask (a synchronous one would be lost and the port would refuse TLS).
    addCaCertificateListener(l) {
      caListeners.add(l);
      queueMicrotask(() => {
        if (caListeners.has(l)) l(caUpdate);
      });
    },
    removeCaCertificateListener(l) {
      caListeners.delete(l);
    },
    addIdentityCertificateListener(l) {
      identityListeners.add(l);
      queueMicrotask(() => {
        if (identityListeners.has(l)) l(identityUpdate);
      });
    },
    removeIdentityCertificateListener(l) {
      identityListeners.delete(l);
    },
  };
  return {
    credentials: experimental.createCertificateProviderServerCredentials(provider, provider, false),
    current: () => chain,
    renew: issue,
    close() {
      closed = true;
      timer?.cancel();
    },
  };
}

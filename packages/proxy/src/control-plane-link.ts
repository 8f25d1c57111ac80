/**
 * The proxy's links to the control plane: Certify (a workload certificate from a token,
 * renewed by the CertificateManager) and the Discovery stream. Loaded only when a control
 * plane is configured, so a proxy without one never loads gRPC, protobuf or the PKI code.
 */

import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { type ChannelCredentials, credentials as grpcCredentials } from '@grpc/grpc-js';
import type { Node } from '@weft/api';
import type { Random } from '@weft/core';
import { CONTROL_PLANE_SERVER_NAME } from '@weft/pki/workload';
import type { Logger } from '@weft/runtime';
import type { DiscoveryState } from './discovery/state.js';
import { DiscoveryStreamClient } from './discovery/stream-client.js';
import { grpcCertificateClient } from './identity/certificate-client.js';
import { CertificateManager } from './identity/certificate-manager.js';
import { type AnnouncedTrust, renewalKey } from './identity/trust-follow.js';

export { bundleFingerprints } from './identity/trust-follow.js';

import type { ProxyMetrics } from './telemetry/proxy-metrics.js';
import type { CertificateMaterial, CertificateSource } from './tls/certificate-source.js';
import { certificateSourceFrom } from './tls/managed-certificate-source.js';

/** Longest random delay before a proxy renews after the control plane announced new trust material. */
export const TRUST_RENEWAL_SPREAD_MS = 10_000;
/**
 * Renewals per announcement: another replica behind the Service may not have reloaded yet and
 * answer with the old material, so a renewal that did not bring the announced material is tried
 * again (after each renewal), at most this many times, rather than in a loop.
 */
export const TRUST_RENEWAL_ATTEMPTS = 5;

/** A certificate source fed by Certify, the manager to close on shutdown, and the trust follower. */
export function startCertify(options: {
  readonly address: string;
  readonly caPem: string;
  readonly tokenFile: string;
  readonly trustDomain: string;
  readonly logger: Logger;
  readonly random: Random;
  /** See {@link TRUST_RENEWAL_SPREAD_MS}. */
  readonly trustRenewalSpreadMs?: number;
}): { certificates: CertificateSource; close(): void; followTrust(announced: AnnouncedTrust): void } {
  // The control plane is checked against the configured anchors and those of the last Certify:
  // after an anchor rotation its serving certificate chains to an anchor only the latter holds.
  let manager: CertificateManager | undefined;
  const trustedPem = (): string => {
    const held = manager?.current()?.tls.ca;
    return held === undefined ? options.caPem : `${options.caPem.trimEnd()}\n${held}`;
  };
  let announced: AnnouncedTrust | undefined;
  let renewalFor: { key: string; attempts: number } | undefined;
  const certificateManager = new CertificateManager({
    client: grpcCertificateClient({ address: options.address, trustAnchorsPem: trustedPem }),
    token: async () => (await readFile(options.tokenFile, 'utf8')).trim(),
    trustDomain: options.trustDomain,
    logger: options.logger,
    random: options.random,
  });
  manager = certificateManager;
  /** Renews when the held material differs from the last announcement (bounded per announcement). */
  const followAnnounced = (): void => {
    if (announced === undefined) return;
    const svid = certificateManager.current();
    const key = renewalKey(
      announced,
      svid === undefined ? undefined : { chain: svid.chain, anchors: svid.bundle.ders() },
    );
    if (key === undefined) return;
    if (renewalFor?.key !== key) renewalFor = { key, attempts: 0 };
    if (renewalFor.attempts >= TRUST_RENEWAL_ATTEMPTS) return;
    if (!certificateManager.renewSoon(options.trustRenewalSpreadMs ?? TRUST_RENEWAL_SPREAD_MS)) return;
    renewalFor.attempts++;
    options.logger.info(
      { anchors: announced.trustAnchorFingerprints.length, attempt: renewalFor.attempts },
      'the control plane announced new trust anchors or a new issuer; renewing the certificate',
    );
  };
  // A renewal in flight when the announcement came, or one answered by a replica that had not
  // reloaded yet, is followed by another (bounded) attempt.
  certificateManager.on('rotated', () => queueMicrotask(followAnnounced));
  const certificates = certificateSourceFrom(certificateManager);
  certificateManager.start().catch(() => {});
  return {
    certificates,
    close: () => certificateManager.close(),
    followTrust(next) {
      announced = next;
      followAnnounced();
    },
  };
}

function hostOf(address: string): string {
  const m = /^\[([^\]]+)\]:\d+$/.exec(address);
  return m !== null ? m[1]! : address.slice(0, address.lastIndexOf(':'));
}

/**
 * Opens the Discovery stream once a certificate is held (Discovery authenticates the proxy
 * by its client certificate). `caPem` undefined means plaintext (tests only).
 */
export function startDiscovery(options: {
  readonly address: string;
  readonly caPem: string | undefined;
  readonly certificates: CertificateSource;
  readonly node: () => Node;
  readonly state: DiscoveryState;
  readonly metrics: ProxyMetrics;
  readonly logger: Logger;
  readonly random: Random;
  /** See DiscoveryClientOptions.idleUnsubscribeMs. */
  readonly idleUnsubscribeMs?: number;
}): { close(): void } {
  const { caPem, certificates } = options;
  // One set of credentials per certificate held: each reconnect opens a new channel (so it may
  // reach another replica), but parsing the key, chain and anchors into a TLS context again for
  // every reconnect was a fifth of a simulated proxy's CPU in a 1k-proxy resync (CPU profile of
  // test/bench/control-plane's load process). A renewal brings a new material object, and with it
  // new credentials.
  let cached: { material: CertificateMaterial | undefined; credentials: ChannelCredentials } | undefined;
  const credentials = (): ChannelCredentials => {
    if (caPem === undefined) return grpcCredentials.createInsecure();
    const m = certificates.current();
    if (cached !== undefined && cached.material === m) return cached.credentials;
    // As for Certify: the configured anchors plus those of the held certificate (anchor rotation).
    const ca = Buffer.from(m === undefined ? caPem : `${caPem.trimEnd()}\n${m.trustBundle}`);
    const made =
      m === undefined
        ? grpcCredentials.createSsl(ca)
        : grpcCredentials.createSsl(ca, Buffer.from(m.key), Buffer.from(m.certChain));
    cached = { material: m, credentials: made };
    return made;
  };
  const client = new DiscoveryStreamClient({
    address: options.address,
    credentials,
    // Dialed by IP, the control plane is checked under its service name (as Certify does).
    channelOptions: isIP(hostOf(options.address))
      ? { 'grpc.ssl_target_name_override': CONTROL_PLANE_SERVER_NAME }
      : {},
    node: options.node,
    state: options.state,
    metrics: options.metrics,
    logger: options.logger,
    random: options.random,
    ...(options.idleUnsubscribeMs === undefined ? {} : { idleUnsubscribeMs: options.idleUnsubscribeMs }),
  });
  // After the first certificate, each renewal reopens the stream: the control plane learns the
  // proxy's certificate and bundle from the TLS handshake and the node message (rotation report).
  let started = certificates.current() !== undefined;
  if (started) client.start();
  const off = certificates.onChange(() => {
    if (!started) {
      started = true;
      client.start();
    } else client.reconnect();
  });
  return {
    close: () => {
      off();
      client.close();
    },
  };
}

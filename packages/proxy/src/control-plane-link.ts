/**
 * The proxy's links to the control plane: Certify (a workload certificate from a token,
 * renewed by the CertificateManager) and the Discovery stream. Loaded only when a control
 * plane is configured, so a proxy without one never loads gRPC, protobuf or the PKI code.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { type ChannelCredentials, credentials as grpcCredentials } from '@grpc/grpc-js';
import type { Node } from '@weft/api';
import type { Logger, Random } from '@weft/core';
import { CONTROL_PLANE_SERVER_NAME } from '@weft/pki/workload';
import type { DiscoveryState } from './discovery/state.js';
import { DiscoveryStreamClient } from './discovery/stream-client.js';
import { grpcCertificateClient } from './identity/certificate-client.js';
import { CertificateManager } from './identity/certificate-manager.js';
import type { ProxyMetrics } from './metrics/proxy-metrics.js';
import type { CertificateSource } from './tls/certificate-source.js';
import { certificateSourceFrom } from './tls/managed-certificate-source.js';

/** A certificate source fed by Certify, and the manager to close on shutdown. */
export function startCertify(options: {
  readonly address: string;
  readonly caPem: string;
  readonly tokenFile: string;
  readonly trustDomain: string;
  readonly logger: Logger;
  readonly random: Random;
}): { certificates: CertificateSource; close(): void } {
  const manager = new CertificateManager({
    client: grpcCertificateClient({ address: options.address, trustAnchorsPem: options.caPem }),
    token: async () => (await readFile(options.tokenFile, 'utf8')).trim(),
    trustDomain: options.trustDomain,
    logger: options.logger,
    random: options.random,
  });
  const certificates = certificateSourceFrom(manager);
  manager.start().catch(() => {});
  return { certificates, close: () => manager.close() };
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
  const credentials = (): ChannelCredentials => {
    if (caPem === undefined) return grpcCredentials.createInsecure();
    const m = certificates.current();
    const ca = Buffer.from(caPem);
    return m === undefined
      ? grpcCredentials.createSsl(ca)
      : grpcCredentials.createSsl(ca, Buffer.from(m.key), Buffer.from(m.certChain));
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
  if (certificates.current() !== undefined) client.start();
  else {
    const off = certificates.onChange(() => {
      off();
      client.start();
    });
  }
  return { close: () => client.close() };
}

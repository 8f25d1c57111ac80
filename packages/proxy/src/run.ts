/**
 * Runs a complete sidecar: listeners first (so the ports actually bound are known), then the
 * discovery stream registering this workload with those ports. The CLI's `weft proxy` is a
 * thin layer over this.
 */

import { readFile } from 'node:fs/promises';
import { type ChannelCredentials, credentials as grpcCredentials } from '@grpc/grpc-js';
import type { Node } from '@weft/api';
import { describeError, type Logger, type Random, silentLogger, systemRandom, WeftError } from '@weft/core';
import { noControlPlane } from './discovery/no-control-plane.js';
import { DiscoveryState } from './discovery/state.js';
import { DiscoveryStreamClient } from './discovery/stream-client.js';
import { grpcCertificateClient } from './identity/certificate-client.js';
import { CertificateManager } from './identity/certificate-manager.js';
import type { OriginalDstReader } from './listeners/runtime.js';
import type { ProxyOptions } from './options.js';
import { ensureOriginalDstAddon, getOriginalDst } from './original-dst.js';
import { type ListeningPorts, Sidecar } from './proxy.js';
import type { TracingController } from './telemetry/tracing-controller.js';
import type { CertificateSource } from './tls/certificate-source.js';
import { certificateSourceFrom } from './tls/managed-certificate-source.js';

export const PROXY_VERSION = '0.1.0';

/** Where the workload certificate comes from. */
export type IdentitySource =
  | { readonly type: 'static'; readonly certificates: CertificateSource }
  /** Certify with a token at the control plane, renewed at ~50% of the lifetime. */
  | { readonly type: 'certify'; readonly tokenFile: string; readonly trustDomain: string };

export interface RunSidecarOptions {
  readonly options: ProxyOptions;
  readonly identity: IdentitySource;
  /** host:port of the control plane; undefined runs without one (every name passes through). */
  readonly controlPlane: string | undefined;
  /** PEM of the CA that signed the control plane's serving certificate; undefined = plaintext (tests). */
  readonly controlPlaneCa: string | undefined;
  readonly originalDst?: OriginalDstReader;
  readonly logger?: Logger;
  readonly random?: Random;
  /** The binary's tracing; it follows the mesh config the control plane pushes. Closed on stop. */
  readonly tracing?: TracingController;
}

/** A running sidecar. */
export interface RunningSidecar {
  readonly sidecar: Sidecar;
  readonly ports: ListeningPorts;
  /** Drains and stops everything; resolves when done. */
  stop(deadlineMs?: number): Promise<void>;
}

/**
 * The SO_ORIGINAL_DST reader from the native addon, or undefined when the addon is not
 * built: then the transparent listener refuses connections (and counts them) while
 * explicit upstream listeners keep working.
 */
export function loadOriginalDstReader(): OriginalDstReader | undefined {
  try {
    ensureOriginalDstAddon();
  } catch {
    return undefined;
  }
  return (socket) => {
    try {
      return getOriginalDst(socket);
    } catch {
      return undefined;
    }
  };
}

export async function runSidecar(run: RunSidecarOptions): Promise<RunningSidecar> {
  const o = run.options;
  const logger = run.logger ?? silentLogger();
  const random = run.random ?? systemRandom;
  const state = run.controlPlane === undefined ? undefined : new DiscoveryState();
  let manager: CertificateManager | undefined;
  let certificates: CertificateSource;
  if (run.identity.type === 'static') certificates = run.identity.certificates;
  else {
    if (run.controlPlane === undefined || run.controlPlaneCa === undefined) {
      throw new WeftError(
        'INVALID_ARGUMENT',
        'a certificate through Certify needs --control-plane and --ca-file',
      );
    }
    const tokenFile = run.identity.tokenFile;
    manager = new CertificateManager({
      client: grpcCertificateClient({ address: run.controlPlane, trustAnchorsPem: run.controlPlaneCa }),
      token: async () => (await readFile(tokenFile, 'utf8')).trim(),
      trustDomain: run.identity.trustDomain,
      logger,
      random,
    });
    certificates = certificateSourceFrom(manager);
    manager.start().catch(() => {});
  }
  const sidecar = new Sidecar(o, {
    certificates,
    resolver: state ?? noControlPlane,
    policies: state ?? noControlPlane,
    configPending: () =>
      state !== undefined && state.accepted === 0
        ? 'no config received from the control plane yet'
        : undefined,
    configSnapshot: () => (state === undefined ? { controlPlane: 'none' } : state.snapshot()),
    originalDst: run.originalDst,
    logger,
    random,
    ...(run.tracing === undefined ? {} : { tracing: run.tracing }),
  });
  const tracing = run.tracing;
  if (state !== undefined && tracing !== undefined) {
    state.onMeshConfig = (mesh) => {
      if (mesh.tracing == null) return;
      try {
        tracing.applyMeshConfig(mesh.tracing);
      } catch (err) {
        // Validated before the response was ACKed; kept as a guard.
        logger.warn({ err: describeError(err) }, 'mesh tracing config not applied');
      }
    };
  }
  const ports = await sidecar.start();
  let client: DiscoveryStreamClient | undefined;
  if (state !== undefined && run.controlPlane !== undefined) {
    const node = (): Node => ({
      workload: o.workload,
      namespace: o.namespace,
      serviceAccount: o.serviceAccount,
      service: o.service,
      address: o.advertiseAddress,
      inboundListenerPort: ports.inbound,
      adminPort: ports.admin,
      inboundPorts: o.inbound.map((i) => ({
        port: i.servicePort,
        protocol: 'PROTOCOL_UNSPECIFIED' as const,
      })),
      labels: {},
      proxyVersion: PROXY_VERSION,
    });
    const credentials = (): ChannelCredentials => {
      if (run.controlPlaneCa === undefined) return grpcCredentials.createInsecure();
      const m = certificates.current();
      const ca = Buffer.from(run.controlPlaneCa);
      return m === undefined
        ? grpcCredentials.createSsl(ca)
        : grpcCredentials.createSsl(ca, Buffer.from(m.key), Buffer.from(m.certChain));
    };
    client = new DiscoveryStreamClient({
      address: run.controlPlane,
      credentials,
      node,
      state,
      metrics: sidecar.metrics,
      logger,
      random,
    });
    // Discovery wants a client certificate: open the stream once the first one is held.
    const c = client;
    if (certificates.current() !== undefined) c.start();
    else {
      const off = certificates.onChange(() => {
        off();
        c.start();
      });
    }
  }
  return {
    sidecar,
    ports,
    async stop(deadlineMs) {
      await sidecar.drain(deadlineMs);
      client?.close();
      manager?.close();
      await run.tracing?.close();
    },
  };
}

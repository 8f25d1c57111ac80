/**
 * Runs a complete sidecar: listeners first (so the ports actually bound are known), then the
 * discovery stream registering this workload with those ports. The CLI's `weft proxy` is a
 * thin layer over this.
 */
import { type ChannelCredentials, credentials as grpcCredentials } from '@grpc/grpc-js';
import type { Node } from '@weft/api';
import { type Logger, type Random, silentLogger, systemRandom } from '@weft/core';
import { noControlPlane } from './discovery/no-control-plane.js';
import { DiscoveryState } from './discovery/state.js';
import { DiscoveryStreamClient } from './discovery/stream-client.js';
import type { OriginalDstReader } from './listeners/runtime.js';
import type { ProxyOptions } from './options.js';
import { type ListeningPorts, Sidecar } from './proxy.js';
import type { CertificateSource } from './tls/certificate-source.js';

export const PROXY_VERSION = '0.1.0';

export interface RunSidecarOptions {
  readonly options: ProxyOptions;
  readonly certificates: CertificateSource;
  /** host:port of the control plane; undefined runs without one (every name passes through). */
  readonly controlPlane: string | undefined;
  /** PEM of the CA that signed the control plane's serving certificate; undefined = plaintext (tests). */
  readonly controlPlaneCa: string | undefined;
  readonly originalDst?: OriginalDstReader;
  readonly logger?: Logger;
  readonly random?: Random;
}

/** A running sidecar. */
export interface RunningSidecar {
  readonly sidecar: Sidecar;
  readonly ports: ListeningPorts;
  /** Drains and stops everything; resolves when done. */
  stop(deadlineMs?: number): Promise<void>;
}

/**
 * The SO_ORIGINAL_DST reader from the native addon (src/original-dst.ts), or undefined when
 * the addon is not built: then the transparent listener refuses connections (and counts
 * them) while explicit upstream listeners keep working.
 */
export async function loadOriginalDstReader(): Promise<OriginalDstReader | undefined> {
  const specifier = './original-dst.js';
  try {
    const mod = (await import(specifier)) as {
      getOriginalDst?: OriginalDstReader;
      ensureOriginalDstAddon?: () => void;
    };
    mod.ensureOriginalDstAddon?.();
    return mod.getOriginalDst;
  } catch {
    return undefined;
  }
}

export async function runSidecar(run: RunSidecarOptions): Promise<RunningSidecar> {
  const o = run.options;
  const logger = run.logger ?? silentLogger();
  const random = run.random ?? systemRandom;
  const state = run.controlPlane === undefined ? undefined : new DiscoveryState();
  const sidecar = new Sidecar(o, {
    certificates: run.certificates,
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
  });
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
      inboundPorts: o.inbound.map((i) => ({
        port: i.servicePort,
        protocol: 'PROTOCOL_UNSPECIFIED' as const,
      })),
      labels: {},
      proxyVersion: PROXY_VERSION,
    });
    const credentials = (): ChannelCredentials => {
      if (run.controlPlaneCa === undefined) return grpcCredentials.createInsecure();
      const m = run.certificates.current();
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
    client.start();
  }
  return {
    sidecar,
    ports,
    async stop(deadlineMs) {
      await sidecar.drain(deadlineMs);
      client?.close();
    },
  };
}

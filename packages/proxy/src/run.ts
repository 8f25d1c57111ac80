/**
 * Runs a complete sidecar: listeners first (so the ports actually bound are known), then the
 * discovery stream registering this workload with those ports. The CLI's `weft proxy` is a
 * thin layer over this.
 */

import { readFileSync } from 'node:fs';
import { describeError, type Logger, type Random, silentLogger, systemRandom, WeftError } from '@weft/core';
import { noControlPlane } from './discovery/no-control-plane.js';
import { DiscoveryState, type GatewayConfigSink } from './discovery/state.js';
import type { DnsProxy } from './dns/dns-proxy.js';
import { parseResolvConf, type ResolvConf } from './dns/resolv-conf.js';
import { issuedIdentity } from './identity/issued-identity.js';
import type { AnnouncedTrust } from './identity/trust-follow.js';
import { targetPolicyFromMessage } from './layers/target-policy.js';
import type { OriginalDstReader } from './listeners/runtime.js';
import type { ProxyOptions } from './options.js';
import { ensureOriginalDstAddon, getOriginalDst } from './original-dst.js';
import { type ListeningPorts, Sidecar } from './proxy.js';
import { StartupRecorder, type StartupTimeline } from './startup-timeline.js';
import type { TracingController } from './telemetry/tracing-controller.js';
import type { CertificateSource } from './tls/certificate-source.js';

export const PROXY_VERSION = '0.1.0';

export { StaticCertificateSource } from './tls/certificate-source.js';

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
  /**
   * Runs as an ingress gateway (`weft gateway`): the node announces `className` as its
   * gateway_class and pushed gateway configs go to `sink`.
   */
  readonly gateway?: { readonly className: string; readonly sink: GatewayConfigSink };
  /** More /config contents (the gateway's listeners and bound ports). */
  readonly extraSnapshot?: () => Record<string, unknown>;
  /** Another reason not to be ready yet (the gateway: no config applied), or undefined. */
  readonly notReadyReason?: () => string | undefined;
}

/** A running sidecar. */
export interface RunningSidecar {
  readonly sidecar: Sidecar;
  readonly ports: ListeningPorts;
  /**
   * Resolves the first time the sidecar is ready (listening, certificate held, first config
   * received), with when each start-up step was reached (ms since the process started).
   */
  readonly ready: Promise<StartupTimeline>;
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
  // Assigned below; the recorder asks it only after the listeners are bound.
  let sidecarRef: Sidecar | undefined;
  let listening = false;
  const startup = new StartupRecorder(() => listening && sidecarRef?.notReadyReason() === undefined);
  startup.mark('run');
  const state = run.controlPlane === undefined ? undefined : new DiscoveryState();
  if (state !== undefined && run.gateway !== undefined) state.gateway = run.gateway.sink;
  const link = run.controlPlane === undefined ? undefined : await import('./control-plane-link.js');
  if (link !== undefined) startup.mark('link-loaded');
  const closers: (() => void)[] = [];
  let dnsProxy: DnsProxy | undefined;
  let dnsError = '';
  let followTrust: ((announced: AnnouncedTrust) => void) | undefined;
  let certificates: CertificateSource;
  if (run.identity.type === 'static') certificates = run.identity.certificates;
  else {
    if (link === undefined || run.controlPlane === undefined || run.controlPlaneCa === undefined) {
      throw new WeftError(
        'INVALID_ARGUMENT',
        'a certificate through Certify needs --control-plane and --ca-file',
      );
    }
    const certify = link.startCertify({
      address: run.controlPlane,
      caPem: run.controlPlaneCa,
      tokenFile: run.identity.tokenFile,
      trustDomain: run.identity.trustDomain,
      logger,
      random,
    });
    certificates = certify.certificates;
    followTrust = certify.followTrust;
    closers.push(() => certify.close());
  }
  // After the TLS layer's own listener has taken the certificate (same event, later listener).
  const offCertificate = certificates.onChange(() => {
    startup.mark('certificate');
    setImmediate(() => startup.check());
  });
  if (certificates.current() !== undefined) startup.mark('certificate');
  const sidecar = new Sidecar(o, {
    certificates,
    resolver: state ?? noControlPlane,
    policies: state ?? noControlPlane,
    configPending: () =>
      state !== undefined && state.accepted === 0
        ? 'no config received from the control plane yet'
        : run.notReadyReason?.(),
    configSnapshot: () => ({
      ...(state === undefined ? { controlPlane: 'none' } : state.snapshot()),
      ...(o.dns === undefined ? {} : { dns: dnsProxy?.snapshot() ?? { listening: false, error: dnsError } }),
      ...run.extraSnapshot?.(),
    }),
    originalDst: run.originalDst,
    logger,
    random,
    ...(run.tracing === undefined ? {} : { tracing: run.tracing }),
  });
  const tracing = run.tracing;
  if (state !== undefined) {
    state.onMeshConfig = (mesh) => {
      // The control plane's first push always carries the mesh config.
      startup.mark('config');
      sidecar.targets.set(targetPolicyFromMessage(mesh.pathNormalization));
      followTrust?.({
        trustAnchorFingerprints: mesh.trustAnchorFingerprints,
        issuerFingerprint: mesh.issuerFingerprint,
      });
      if (mesh.tracing == null || tracing === undefined) return;
      try {
        tracing.applyMeshConfig(mesh.tracing);
      } catch (err) {
        // Validated before the response was ACKed; kept as a guard.
        logger.warn({ err: describeError(err) }, 'mesh tracing config not applied');
      }
    };
  }
  sidecarRef = sidecar;
  const sidecarPorts = await sidecar.start();
  if (o.dns !== undefined) {
    const d = o.dns;
    // Loaded only when the DNS proxy runs (as the control-plane link is only with a control plane).
    const [{ startDnsProxy }, { LoopbackRoutes }] = await Promise.all([
      import('./dns/dns-proxy.js'),
      import('./dns/loopback-routes.js'),
    ]);
    const routes = new LoopbackRoutes(
      (authority, host, port) => sidecar.listenUpstream(authority, host, port),
      logger,
    );
    sidecar.metrics.registry.gauge(
      'weft_proxy_dns_listening',
      'Whether the DNS proxy is listening (0: it could not bind its address; see /config).',
      () => (dnsProxy === undefined ? 0 : 1),
    );
    try {
      dnsProxy = await startDnsProxy({
        host: d.host,
        port: d.port,
        ipv6Loopback: d.ipv6Loopback,
        resolvConf: readResolvConf(d.resolvConfPath, logger),
        ...(d.upstreams.length === 0 ? {} : { upstreams: d.upstreams }),
        clusterDomain: d.clusterDomain,
        namespace: o.namespace,
        records: state,
        registry: sidecar.metrics.registry,
        logger,
        beforeMeshAnswer: (fqdn, record) => routes.prepare(fqdn, record),
      });
    } catch (err) {
      if (d.required) {
        await sidecar.close();
        for (const c of closers) c();
        throw err;
      }
      // The default address is taken (e.g. several proxies on one machine): serve without DNS.
      dnsError = describeError(err);
      logger.warn({ err: dnsError, address: `${d.host}:${d.port}` }, 'DNS proxy not started');
    }
  }
  const ports: ListeningPorts =
    dnsProxy === undefined ? sidecarPorts : { ...sidecarPorts, dns: dnsProxy.port };
  listening = true;
  startup.mark('listening');
  void startup.ready.then(offCertificate);
  if (link !== undefined && state !== undefined && run.controlPlane !== undefined) {
    const discovery = link.startDiscovery({
      address: run.controlPlane,
      caPem: run.controlPlaneCa,
      certificates,
      node: () => {
        const issued = identityToAnnounce(certificates, o, logger);
        return {
          workload: o.workload,
          namespace: issued.namespace,
          serviceAccount: issued.serviceAccount,
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
          gatewayClass: run.gateway?.className ?? '',
          trustAnchorFingerprints: link.bundleFingerprints(certificates.current()?.trustBundle),
          // Read at each (re)connect: the join token names the services this proxy may register.
          registrationToken:
            run.identity.type === 'certify' && o.service !== ''
              ? readToken(run.identity.tokenFile, logger)
              : '',
        };
      },
      state,
      metrics: sidecar.metrics,
      logger,
      random,
      ...(o.discoveryIdleMs === undefined ? {} : { idleUnsubscribeMs: o.discoveryIdleMs }),
    });
    closers.push(() => discovery.close());
  }
  return {
    sidecar,
    ports,
    ready: startup.ready,
    async stop(deadlineMs) {
      await dnsProxy?.close();
      await sidecar.drain(deadlineMs);
      for (const c of closers) c();
      await run.tracing?.close();
    },
  };
}

/**
 * The namespace and service account the discovery node message announces: those of the issued
 * certificate (the token decided them) when there is one, else the configured ones. A configured
 * value that differs from the certificate's is a warning, not a reason to be refused.
 */
function identityToAnnounce(
  certificates: CertificateSource,
  o: ProxyOptions,
  logger: Logger,
): { namespace: string; serviceAccount: string } {
  const issued = issuedIdentity(certificates.current());
  if (issued === undefined) return { namespace: o.namespace, serviceAccount: o.serviceAccount };
  const differs =
    (o.serviceAccount !== '' && o.serviceAccount !== issued.serviceAccount) ||
    (o.namespace !== '' && o.namespace !== issued.namespace);
  if (differs) {
    logger.warn(
      { configured: `${o.namespace}/${o.serviceAccount}`, issued: issued.spiffeId },
      "the configured namespace/service account differ from the issued certificate; announcing the certificate's",
    );
  }
  return { namespace: issued.namespace, serviceAccount: issued.serviceAccount };
}

/** The resolv.conf at `path`, or an empty one (no upstreams: forwarded names get SERVFAIL) when unreadable. */
function readResolvConf(path: string, logger: Logger): ResolvConf {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch (err) {
    logger.warn({ err: describeError(err), path }, 'cannot read resolv.conf: the DNS proxy forwards nothing');
    return { nameservers: [], search: [], ndots: 1 };
  }
}

/** The join token in `file` (trimmed), or "" when it cannot be read (the registration is then refused, and said why). */
function readToken(file: string, logger: Logger): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    logger.warn({ err: describeError(err), file }, 'cannot read the token file for registration');
    return '';
  }
}

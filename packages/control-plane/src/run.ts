/**
 * Starts a complete control plane the way `weft control-plane` runs it: a config source
 * (Kubernetes or a folder), registrations, the CA from an identity folder, Identity and
 * Discovery on one gRPC port, and the admin server.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { describeError, type Logger, systemClock, WeftError } from '@weft/core';
import { loadIdentityDir } from '@weft/pki';
import { ControlPlane, type ControlPlaneAddresses } from './control-plane.js';
import { joinTokenRegistrationAuthorizer } from './discovery/registration-authorizer.js';
import type { Certifier } from './identity/certifier.js';
import { IdentityReloader } from './identity/identity-reloader.js';
import { addIdentityService } from './identity/identity-service.js';
import { joinTokenValidator } from './identity/join-token-validator.js';
import { kubernetesTokenReviewer, kubernetesTokenValidator } from './identity/kubernetes-token-validator.js';
import { peerIdentity } from './identity/peer-identity.js';
import { meshTrustOf, rotationReport } from './identity/rotation-report.js';
import { createIdentityServerCredentials } from './identity/serving-credentials.js';
import { routingTokenValidator } from './identity/token-validator.js';
import { checkWorkloadCertTtl } from './identity/workload-cert-ttl.js';
import { secretIdentitySource } from './kubernetes/identity-secrets.js';
import { KubernetesSource } from './kubernetes/kubernetes-source.js';
import { KubernetesStatusWriter } from './kubernetes/status-writer.js';
import { ControlPlaneMetrics } from './metrics.js';
import type { ConfigSource } from './sources/config-source.js';
import { FolderSource } from './sources/folder-source.js';
import { MeshConfigFileSource } from './sources/mesh-config-file-source.js';
import { RegistrationSource } from './sources/registration-source.js';
import { LogStatusReporter, type StatusReporter } from './status/status-reporter.js';
import type { TracerSource } from './telemetry/control-plane-tracing.js';

export type SourceChoice =
  | { readonly type: 'folder'; readonly dir: string }
  | { readonly type: 'kubernetes'; readonly kubeConfig: KubeConfig };

export interface StartControlPlaneOptions {
  readonly source: SourceChoice;
  /** Folder with ca.crt, issuer.crt, issuer.key and token.key (`weft identity create-ca`). */
  readonly identityDir: string;
  readonly trustDomain?: string;
  /** The mesh config file (a mounted ConfigMap in Kubernetes). */
  readonly meshConfigFile?: string;
  /** e.g. "0.0.0.0:7443". */
  readonly grpcAddress: string;
  readonly admin: { readonly host: string; readonly port: number };
  readonly clusterDomain?: string;
  readonly registrationGraceMs?: number;
  /** Workload leaf lifetime (`--workload-cert-ttl`); default 24h, bounded by the issuer's expiry. */
  readonly workloadCertTtlMs?: number;
  readonly logger: Logger;
  /** Spans for pushes and Certify (the binary's tracing); none without it. */
  readonly tracer?: TracerSource;
  /**
   * Period of the identity folder check backing up its watch (`--identity-reload`, default 5 s;
   * 0 = watch only). A new issuer or anchor is in force within about this long.
   */
  readonly identityReloadMs?: number;
  /**
   * Kubernetes mode: reload the identity from the Secrets weft-trust-anchor and weft-issuer in
   * this namespace through the API (`--identity-secrets`), rather than from the mounted folder.
   */
  readonly identitySecretsNamespace?: string;
}

export interface RunningControlPlane {
  readonly controlPlane: ControlPlane;
  readonly addresses: ControlPlaneAddresses;
  readonly trustDomain: string;
  close(): Promise<void>;
}

/** Starts everything; throws a WeftError with a clear message when something cannot start. */
export async function startControlPlane(o: StartControlPlaneOptions): Promise<RunningControlPlane> {
  const logger = o.logger;
  const loadOptions = {
    ...(o.trustDomain === undefined ? {} : { trustDomain: o.trustDomain }),
    ...(o.workloadCertTtlMs === undefined ? {} : { defaultLifetimeMs: o.workloadCertTtlMs }),
  };
  const identity = await loadIdentityDir(o.identityDir, loadOptions).catch((err: unknown) => {
    throw new WeftError('FAILED_PRECONDITION', `identity folder: ${describeError(err)}`, { cause: err });
  });
  if (o.workloadCertTtlMs !== undefined) {
    const ttl = checkWorkloadCertTtl(o.workloadCertTtlMs, identity.ca.issuerNotAfter, systemClock.now());
    if (ttl.type === 'invalid') throw new WeftError('INVALID_CONFIG', `--workload-cert-ttl: ${ttl.message}`);
  }
  const { tokenKey, trustDomain } = identity;
  const metrics = new ControlPlaneMetrics();
  const kubeConfig = o.source.type === 'kubernetes' ? o.source.kubeConfig : undefined;
  let certifier: Certifier | undefined;
  // Assigned once the control plane exists; a reload before that only swaps the identity.
  let onIdentityChange: (() => void) | undefined;
  const reloader = new IdentityReloader({
    dir: o.identityDir,
    initial: identity,
    load: loadOptions,
    ...(o.identityReloadMs === undefined ? {} : { intervalMs: o.identityReloadMs }),
    ...(o.identitySecretsNamespace === undefined || kubeConfig === undefined
      ? {}
      : { source: secretIdentitySource({ kubeConfig, namespace: o.identitySecretsNamespace }) }),
    registry: metrics.registry,
    logger,
    onReload: (next) => {
      certifier?.replaceAuthority(next.ca);
      serving.renew();
      onIdentityChange?.();
    },
  });
  const current = () => reloader.current();
  const registrations = new RegistrationSource({
    endpoints: o.source.type === 'folder',
    ...(o.registrationGraceMs === undefined ? {} : { graceMs: o.registrationGraceMs }),
  });
  const sources: ConfigSource[] = [registrations];
  if (o.meshConfigFile !== undefined) {
    const meshFile = new MeshConfigFileSource({ file: o.meshConfigFile, logger, metrics });
    const first = await meshFile.read();
    if (first.config.trustDomain !== trustDomain) {
      throw new WeftError(
        'INVALID_CONFIG',
        `mesh config ${o.meshConfigFile}: trustDomain "${first.config.trustDomain}" differs from the CA's "${trustDomain}"`,
      );
    }
    sources.push(meshFile);
  }
  sources.push(
    o.source.type === 'folder'
      ? new FolderSource({ dir: o.source.dir, logger: logger.child({ source: 'folder' }), metrics })
      : new KubernetesSource({
          kubeConfig: o.source.kubeConfig,
          logger: logger.child({ source: 'kubernetes' }),
          metrics,
        }),
  );
  const joinTokens = joinTokenValidator({ key: tokenKey, trustDomain });
  const validator = routingTokenValidator({
    joinTokens,
    ...(kubeConfig === undefined
      ? {}
      : { kubernetes: kubernetesTokenValidator(kubernetesTokenReviewer(kubeConfig)) }),
  });
  const serving = createIdentityServerCredentials({ ca: () => current().ca, logger });
  let reporter: StatusReporter | undefined;
  const cp: ControlPlane = new ControlPlane({
    sources,
    registrar: registrations,
    // Kubernetes: registrations add no endpoints (EndpointSlices are the truth), so none is checked.
    ...(o.source.type === 'folder'
      ? { registrationAuthorizer: joinTokenRegistrationAuthorizer(joinTokens) }
      : {}),
    credentials: serving.credentials,
    grpcAddress: o.grpcAddress,
    admin: o.admin,
    metrics,
    logger,
    trustDomain,
    ...(o.clusterDomain === undefined ? {} : { clusterDomain: o.clusterDomain }),
    ...(o.tracer === undefined ? {} : { tracer: o.tracer }),
    configureServer: (server) => {
      certifier = addIdentityService(server, {
        ca: current().ca,
        validator,
        registry: metrics.registry,
        logger,
        ...(o.tracer === undefined ? {} : { tracer: o.tracer }),
      });
    },
    peerIdentity: (call) => {
      // Leaves of a replaced issuer stay valid while it chains to an anchor in force.
      for (const issuer of reloader.intermediates()) {
        const r = peerIdentity(call, {
          bundle: current().trustAnchors,
          trustDomain,
          now: systemClock.now(),
          intermediates: [issuer],
        });
        if (r.type === 'valid') return r.identity;
      }
      return undefined;
    },
    meshTrust: () => meshTrustOf(current()),
    debugIdentity: (proxies) => rotationReport(current(), reloader.intermediates().slice(1), proxies),
    statusReporter: { report: (changes) => reporter?.report(changes) },
    dashboard: {
      mode: o.source.type === 'folder' ? 'local' : 'kubernetes',
      trust: () => ({
        anchorNotAfter: Math.min(...current().trustAnchors.anchors.map((a) => a.info.notAfter)),
        issuerNotAfter: current().ca.issuerNotAfter,
      }),
    },
    readyChecks: () => {
      const ok = current().ca.issuerNotAfter > systemClock.now();
      return [{ name: 'ca', ok, ...(ok ? {} : { detail: 'the issuer certificate has expired' }) }];
    },
  });
  reporter =
    kubeConfig === undefined
      ? new LogStatusReporter(logger, metrics)
      : new KubernetesStatusWriter({ kubeConfig, metrics, logger, lookup: (ref) => cp.state.get(ref) });
  onIdentityChange = () => cp.identityChanged();
  let addresses: ControlPlaneAddresses;
  try {
    addresses = await cp.start();
    await reloader.start();
  } catch (err) {
    reloader.close();
    serving.close();
    await cp.close().catch(() => undefined);
    throw err;
  }
  const meshTd = cp.state.meshConfig().trustDomain;
  if (meshTd !== trustDomain) {
    logger.error(
      { meshTrustDomain: meshTd, caTrustDomain: trustDomain },
      'the mesh config names another trust domain than the CA',
    );
  }
  return {
    controlPlane: cp,
    addresses,
    trustDomain,
    async close() {
      reloader.close();
      serving.close();
      await cp.close();
    },
  };
}

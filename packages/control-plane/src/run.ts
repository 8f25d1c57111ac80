/**
 * Starts a complete control plane the way `weft control-plane` runs it: a config source
 * (Kubernetes or a folder), registrations, the CA from an identity folder, Identity and
 * Discovery on one gRPC port, and the admin server.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { describeError, type Logger, systemClock, systemRandom, WeftError } from '@weft/core';
import { loadIdentityDir } from '@weft/pki';
import { ControlPlane, type ControlPlaneAddresses } from './control-plane.js';
import { joinTokenRegistrationAuthorizer } from './discovery/registration-authorizer.js';
import { addIdentityService } from './identity/identity-service.js';
import { joinTokenValidator } from './identity/join-token-validator.js';
import { kubernetesTokenReviewer, kubernetesTokenValidator } from './identity/kubernetes-token-validator.js';
import { peerIdentity } from './identity/peer-identity.js';
import { createIdentityServerCredentials } from './identity/serving-credentials.js';
import { routingTokenValidator } from './identity/token-validator.js';
import { checkWorkloadCertTtl } from './identity/workload-cert-ttl.js';
import { KubernetesSource } from './kubernetes/kubernetes-source.js';
import { KubernetesStatusWriter } from './kubernetes/status-writer.js';
import { ControlPlaneMetrics } from './metrics.js';
import { NetworkPolicyController } from './netpol/netpol-controller.js';
import { netpolInputsFromState } from './netpol/state-inputs.js';
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
   * Kubernetes only: keep NetworkPolicies generated from the mesh's intent in sync (create,
   * update, delete the ones labelled as weft's), with the control plane's namespace.
   */
  readonly manageNetworkPolicies?: { readonly controlPlaneNamespace: string };
}

export interface RunningControlPlane {
  readonly controlPlane: ControlPlane;
  readonly addresses: ControlPlaneAddresses;
  readonly trustDomain: string;
  /** The NetworkPolicy controller, when `manageNetworkPolicies` asked for one. */
  readonly networkPolicies?: NetworkPolicyController;
  close(): Promise<void>;
}

/** Starts everything; throws a WeftError with a clear message when something cannot start. */
export async function startControlPlane(o: StartControlPlaneOptions): Promise<RunningControlPlane> {
  const logger = o.logger;
  const identity = await loadIdentityDir(o.identityDir, {
    ...(o.trustDomain === undefined ? {} : { trustDomain: o.trustDomain }),
    ...(o.workloadCertTtlMs === undefined ? {} : { defaultLifetimeMs: o.workloadCertTtlMs }),
  }).catch((err: unknown) => {
    throw new WeftError('FAILED_PRECONDITION', `identity folder: ${describeError(err)}`, { cause: err });
  });
  if (o.workloadCertTtlMs !== undefined) {
    const ttl = checkWorkloadCertTtl(o.workloadCertTtlMs, identity.ca.issuerNotAfter, systemClock.now());
    if (ttl.type === 'invalid') throw new WeftError('INVALID_CONFIG', `--workload-cert-ttl: ${ttl.message}`);
  }
  const { ca, trustAnchors, tokenKey, trustDomain } = identity;
  const metrics = new ControlPlaneMetrics();
  const kubeConfig = o.source.type === 'kubernetes' ? o.source.kubeConfig : undefined;
  const registrations = new RegistrationSource({
    endpoints: o.source.type === 'folder',
    ...(o.registrationGraceMs === undefined ? {} : { graceMs: o.registrationGraceMs }),
  });
  if (o.manageNetworkPolicies !== undefined && kubeConfig === undefined) {
    throw new WeftError(
      'INVALID_ARGUMENT',
      '--manage-network-policies needs Kubernetes mode (--kubeconfig or --in-cluster)',
    );
  }
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
  const mainSource: ConfigSource =
    o.source.type === 'folder'
      ? new FolderSource({ dir: o.source.dir, logger: logger.child({ source: 'folder' }), metrics })
      : new KubernetesSource({
          kubeConfig: o.source.kubeConfig,
          logger: logger.child({ source: 'kubernetes' }),
          metrics,
        });
  sources.push(mainSource);
  let netpol: NetworkPolicyController | undefined;
  const joinTokens = joinTokenValidator({ key: tokenKey, trustDomain });
  const validator = routingTokenValidator({
    joinTokens,
    ...(kubeConfig === undefined
      ? {}
      : { kubernetes: kubernetesTokenValidator(kubernetesTokenReviewer(kubeConfig)) }),
  });
  const serving = createIdentityServerCredentials({ ca, logger });
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
      addIdentityService(server, {
        ca,
        validator,
        registry: metrics.registry,
        logger,
        ...(o.tracer === undefined ? {} : { tracer: o.tracer }),
      });
    },
    peerIdentity: (call) => {
      const r = peerIdentity(call, {
        bundle: trustAnchors,
        trustDomain,
        now: systemClock.now(),
        intermediates: [ca.issuerInfo.der],
      });
      return r.type === 'valid' ? r.identity : undefined;
    },
    statusReporter: { report: (changes) => reporter?.report(changes) },
    onApplied: () => netpol?.changed(),
    dashboard: {
      mode: o.source.type === 'folder' ? 'local' : 'kubernetes',
      trust: () => ({
        anchorNotAfter: Math.min(...trustAnchors.anchors.map((a) => a.info.notAfter)),
        issuerNotAfter: ca.issuerNotAfter,
      }),
    },
    readyChecks: () => {
      const ok = ca.issuerNotAfter > systemClock.now();
      return [{ name: 'ca', ok, ...(ok ? {} : { detail: 'the issuer certificate has expired' }) }];
    },
  });
  reporter =
    kubeConfig === undefined
      ? new LogStatusReporter(logger, metrics)
      : new KubernetesStatusWriter({ kubeConfig, metrics, logger, lookup: (ref) => cp.state.get(ref) });
  if (o.manageNetworkPolicies !== undefined && kubeConfig !== undefined) {
    const { controlPlaneNamespace } = o.manageNetworkPolicies;
    netpol = new NetworkPolicyController({
      kubeConfig,
      // Until every source has synced, the state is partial: generating from it would delete
      // policies of pods not yet seen.
      inputs: () =>
        sources.every((s) => s.ready()) ? netpolInputsFromState(cp.state, controlPlaneNamespace) : undefined,
      logger: logger.child({ component: 'netpol-controller' }),
      registry: metrics.registry,
      clock: systemClock,
      random: systemRandom,
    });
  }
  let addresses: ControlPlaneAddresses;
  try {
    addresses = await cp.start();
    netpol?.start();
  } catch (err) {
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
    ...(netpol === undefined ? {} : { networkPolicies: netpol }),
    async close() {
      await netpol?.close();
      serving.close();
      await cp.close();
    },
  };
}

/**
 * Starts a complete control plane the way `weft control-plane` runs it: a config source
 * (Kubernetes or a folder), registrations, the CA from an identity folder, Identity and
 * Discovery on one gRPC port, and the admin server.
 */

import type { KubeConfig } from '@kubernetes/client-node';
import { describeError, systemClock, systemRandom, WeftError } from '@weft/core';
import { loadIdentityDir } from '@weft/pki';
import { type Logger, subsystemLogger } from '@weft/runtime';
import { ControlPlane, type ControlPlaneAddresses } from './control-plane.js';
import { joinTokenRegistrationAuthorizer } from './discovery/registration-authorizer.js';
import type { Certifier } from './identity/certifier.js';
import { DEFAULT_CERTIFY_PACE } from './identity/certify-pacer.js';
import { IdentityReloader } from './identity/identity-reloader.js';
import { addIdentityService } from './identity/identity-service.js';
import { joinTokenValidator } from './identity/join-token-validator.js';
import { kubernetesTokenReviewer, kubernetesTokenValidator } from './identity/kubernetes-token-validator.js';
import { peerIdentity } from './identity/peer-identity.js';
import { meshTrustOf, rotationReport } from './identity/rotation-report.js';
import { createIdentityServerCredentials } from './identity/serving-credentials.js';
import { routingTokenValidator } from './identity/token-validator.js';
import { checkWorkloadCertTtl } from './identity/workload-cert-ttl.js';
import { GatewayStatusWriter } from './kubernetes/gateway-status-writer.js';
import { secretIdentitySource } from './kubernetes/identity-secrets.js';
import { IngressEventWriter } from './kubernetes/ingress-event-writer.js';
import { KubernetesSource } from './kubernetes/kubernetes-source.js';
import { LeaseElector } from './kubernetes/lease-elector.js';
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
  /**
   * Mesh-wide Certify pace (`--certify-rate`, `--certify-burst`): certificates signed per second
   * and the burst above it; default 500/s, burst 50 (DEFAULT_CERTIFY_PACE).
   */
  readonly certifyPace?: { readonly perSecond: number; readonly burst: number };
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
  /**
   * Kubernetes mode: elect a leader through this Lease; only the leader writes status and
   * Events (every replica serves Certify and Discovery). Absent: this replica always writes.
   */
  readonly leaderElection?: LeaderElectionOptions;
  /** Max age of a discovery stream (jittered ±10%); default 30 minutes, 0 never. */
  readonly maxStreamAgeMs?: number;
  /** On shutdown, discovery streams are ended in 10 batches over this long; default 5 s in Kubernetes mode, 0 in folder mode. */
  readonly shutdownDrainMs?: number;
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
  /** SPIFFE IDs allowed to receive the ingress gateway config (`--gateway-identity`). */
  readonly gatewayIdentities?: readonly string[];
  /** The ingress gateway's Service, "namespace/name", whose addresses Gateway status reports. */
  readonly gatewayService?: string;
}

/** The Lease a replica competes for, and who it is. */
export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  /** holderIdentity: the pod name. */
  readonly identity: string;
  /** Default 15 s; the renew deadline is 2/3 of it and the retry period 1/7.5. */
  readonly leaseDurationMs?: number;
}

/** Default shutdown drain in Kubernetes mode: streams ended in 10 batches over 5 s. */
export const DEFAULT_SHUTDOWN_DRAIN_MS = 5000;

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
  const serving = createIdentityServerCredentials({ ca: () => current().ca, logger });
  let reporter: StatusReporter | undefined;
  let gatewayWriter: GatewayStatusWriter | undefined;
  let ingressEvents: IngressEventWriter | undefined;
  const election = o.leaderElection;
  const elector =
    kubeConfig === undefined || election === undefined
      ? undefined
      : new LeaseElector({
          kubeConfig,
          namespace: election.namespace,
          name: election.name,
          identity: election.identity,
          ...(election.leaseDurationMs === undefined ? {} : { leaseDurationMs: election.leaseDurationMs }),
          logger: logger.child({ part: 'leader-election' }),
          onError: (reason) => metrics.leaseErrors.inc({ reason }),
        });
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
        ...(o.certifyPace === undefined ? {} : { pace: { ...DEFAULT_CERTIFY_PACE, ...o.certifyPace } }),
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
    gatewayStatusReporter: { report: (changes) => gatewayWriter?.report(changes) },
    ingressProblemReporter: { report: (changes) => ingressEvents?.report(changes) },
    ...(o.gatewayIdentities === undefined || o.gatewayIdentities.length === 0
      ? {}
      : { gatewayIdentities: o.gatewayIdentities }),
    ...(o.gatewayService === undefined ? {} : { gatewayService: o.gatewayService }),
    onApplied: () => netpol?.changed(),
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
    ...(o.maxStreamAgeMs === undefined ? {} : { maxStreamAgeMs: o.maxStreamAgeMs }),
    // A folder has one control plane: nowhere else for its proxies to go, so no drain by default.
    shutdownDrain: {
      durationMs: o.shutdownDrainMs ?? (o.source.type === 'kubernetes' ? DEFAULT_SHUTDOWN_DRAIN_MS : 0),
      batches: 10,
    },
    // Kubernetes mode only: in folder mode nothing is written back (rejections are logged).
    ...(kubeConfig === undefined
      ? {}
      : {
          leadership: {
            debug: () =>
              elector === undefined
                ? { election: 'off', leading: true }
                : { election: 'lease', ...elector.observation() },
          },
        }),
  });
  reporter =
    kubeConfig === undefined
      ? new LogStatusReporter(logger, metrics)
      : new KubernetesStatusWriter({
          kubeConfig,
          metrics,
          logger,
          lookup: (ref) => cp.state.get(ref),
          ...(elector === undefined ? {} : { canWrite: () => elector.isLeader() }),
        });
  if (kubeConfig !== undefined) {
    gatewayWriter = new GatewayStatusWriter({
      kubeConfig,
      metrics,
      logger: logger.child({ part: 'gateway-status' }),
      lookup: (ref) => cp.state.get(ref),
      ...(elector === undefined ? {} : { canWrite: () => elector.isLeader() }),
    });
    ingressEvents = new IngressEventWriter({
      kubeConfig,
      metrics,
      logger: logger.child({ part: 'ingress-events' }),
      lookup: (ref) => cp.state.get(ref),
      ...(elector === undefined ? {} : { canWrite: () => elector.isLeader() }),
    });
  }
  if (o.manageNetworkPolicies !== undefined && kubeConfig !== undefined) {
    const { controlPlaneNamespace } = o.manageNetworkPolicies;
    netpol = new NetworkPolicyController({
      kubeConfig,
      // Until every source has synced, the state is partial: generating from it would delete
      // policies of pods not yet seen.
      // Only the leader reconciles (replicas would race on the same objects).
      inputs: () =>
        sources.every((s) => s.ready()) && (elector === undefined || elector.isLeader())
          ? netpolInputsFromState(cp.state, controlPlaneNamespace)
          : undefined,
      logger: subsystemLogger(logger, 'netpol-controller'),
      registry: metrics.registry,
      clock: systemClock,
      random: systemRandom,
    });
  }
  onIdentityChange = () => cp.identityChanged();
  let addresses: ControlPlaneAddresses;
  try {
    addresses = await cp.start();
    await reloader.start();
    netpol?.start();
  } catch (err) {
    reloader.close();
    serving.close();
    await cp.close().catch(() => undefined);
    throw err;
  }
  if (elector !== undefined && election !== undefined) {
    const writer = reporter;
    metrics.leader.set({ identity: election.identity }, 0);
    elector.onChange((leading) => {
      metrics.leader.set({ identity: election.identity }, leading ? 1 : 0);
      // A new leader writes every current condition: the old one may have died before writing.
      if (leading) writer.report(cp.state.allConditions());
      if (leading) gatewayWriter?.report(cp.state.gateway.allStatuses());
      if (leading) ingressEvents?.report(cp.state.gateway.allIngressProblems());
      // And brings the generated NetworkPolicies in line now, not at the next resync.
      if (leading) netpol?.changed();
    });
    elector.start();
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
      reloader.close();
      await netpol?.close();
      // Release the lease first, so that another replica leads while this one drains its streams.
      await elector?.close();
      serving.close();
      await cp.close();
    },
  };
}

/** `weft control-plane`: config sources -> mesh model -> Identity + Discovery on one gRPC port, plus the admin server. */
import { hostname } from 'node:os';
import { createLogger, describeError } from '@weft/core';
import { type Command, Option } from 'commander';
import { durationArg, durationOrZeroArg } from '../cli-kit/duration.js';
import { envForEveryFlag } from '../cli-kit/env.js';
import { routeGrpcLogs } from '../cli-kit/grpc-logs.js';
import type { CliIo } from '../program.js';
import { untilSignal } from '../signals.js';
import { addTracingOptions, type TracingFlags, tracingFromFlags } from '../telemetry/tracing-flags.js';
import { parseListen } from './injector.js';

interface ControlPlaneFlags extends TracingFlags {
  configDir?: string;
  kubeconfig?: string;
  inCluster?: boolean;
  identityDir?: string;
  trustDomain?: string;
  meshConfig?: string;
  listen: string;
  adminListen: string;
  clusterDomain: string;
  registrationGrace: number;
  workloadCertTtl?: number;
  manageNetworkPolicies?: boolean;
  leaderElect?: boolean;
  leaseDuration: number;
  leaseName: string;
  leaseNamespace?: string;
  leaseIdentity?: string;
  maxStreamAge: number;
  shutdownDrain?: number;
  identityReload: number;
  identitySecrets?: string;
  gatewayIdentity: string[];
  gatewayService?: string;
}

export function registerControlPlane(program: Command, io: CliIo): void {
  const command = program
    .command('control-plane')
    .description('run the control plane: Identity and Discovery (gRPC, 7443) and the admin server (7990)')
    .option('--config-dir <dir>', 'local mode: serve the manifests in this folder (reloaded on change)')
    .option('--kubeconfig <path>', 'Kubernetes mode: read the cluster with this kubeconfig')
    .option('--in-cluster', "Kubernetes mode: read the cluster with the pod's service account")
    .option(
      '--identity-dir <dir>',
      'the CA: ca.crt, issuer.crt, issuer.key, token.key (weft identity create-ca)',
    )
    .option('--trust-domain <domain>', "the SPIFFE trust domain (default: the issuer's)")
    .option('--mesh-config <file>', 'the mesh config file (YAML); watched for changes')
    .option('--listen <host:port>', 'gRPC address for Identity and Discovery', '0.0.0.0:7443')
    .option(
      '--admin-listen <host:port>',
      'admin address: /healthz /readyz /metrics /debug/state',
      '0.0.0.0:7990',
    )
    .option('--cluster-domain <domain>', 'DNS suffix of service authorities', 'cluster.local')
    .addOption(
      new Option(
        '--registration-grace <duration>',
        'how long a disconnected proxy stays an endpoint (local mode)',
      )
        .default(10_000, '10s')
        .argParser(durationArg),
    )
    .addOption(
      new Option(
        '--workload-cert-ttl <duration>',
        "lifetime of workload certificates (default 24h, or less when the issuer expires sooner; at least 10s, at most the issuer's remaining lifetime)",
      ).argParser(durationArg),
    )
    .option(
      '--manage-network-policies',
      'Kubernetes mode: keep NetworkPolicies generated from the mesh (weft netpol generate) in sync; touches only those labelled weft.dev/generated=network-policy',
    )
    .option(
      '--leader-elect',
      'Kubernetes mode: elect a leader through a Lease; only it writes status and Events (default on with --kubeconfig/--in-cluster)',
    )
    .option('--no-leader-elect', 'Kubernetes mode: every replica writes status and Events (one replica only)')
    .addOption(
      new Option(
        '--lease-duration <duration>',
        'how long a leader that stopped renewing keeps the Lease (renew deadline 2/3, retry period 1/7.5 of it)',
      )
        .default(15_000, '15s')
        .argParser(durationArg),
    )
    .option('--lease-name <name>', 'the leader-election Lease', 'weft-control-plane')
    .option('--lease-namespace <ns>', "the Lease's namespace (default: WEFT_POD_NAMESPACE, else weft-system)")
    .option('--lease-identity <id>', 'this replica in the Lease (default: WEFT_POD_NAME, else the hostname)')
    .addOption(
      new Option(
        '--max-stream-age <duration>',
        'a discovery stream is ended after this long (jittered ±10%) and the proxy reconnects through the Service, spreading proxies over replicas; 0 never',
      )
        .default(30 * 60_000, '30m')
        .argParser(durationOrZeroArg),
    )
    .addOption(
      new Option(
        '--shutdown-drain <duration>',
        'on SIGTERM, discovery streams are ended in 10 batches over this long, so that proxies move to other replicas gradually (default 5s in Kubernetes mode, 0 with --config-dir)',
      ).argParser(durationOrZeroArg),
    )
    .addOption(
      new Option(
        '--identity-reload <duration>',
        'how often the identity folder is checked for a new issuer or trust anchor, besides its watch (0 = watch only)',
      )
        .default(5000, '5s')
        .argParser(durationOrZeroArg),
    )
    .option(
      '--gateway-identity <spiffe-id>',
      'a SPIFFE ID allowed to receive the ingress gateway config, with its private keys (repeatable; default spiffe://<trust domain>/ns/weft-system/sa/weft-gateway)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--gateway-service <namespace/name>',
      "the ingress gateway's Service: its load balancer addresses (else ClusterIPs) are reported in Gateway status (default weft-system/weft-gateway)",
    )
    .option(
      '--identity-secrets <namespace>',
      'Kubernetes mode: reload the identity from the Secrets weft-trust-anchor and weft-issuer in this namespace through the API (within --identity-reload) instead of the mounted --identity-dir (the kubelet takes about a minute)',
    );
  envForEveryFlag(addTracingOptions(command)).action(async (flags: ControlPlaneFlags, cmd: Command) => {
    const usage = (message: string): never =>
      cmd.error(`weft control-plane: ${message}`, { exitCode: 2, code: 'weft.usage' });
    const modes = [
      flags.configDir !== undefined,
      flags.kubeconfig !== undefined,
      flags.inCluster === true,
    ].filter(Boolean).length;
    if (modes !== 1) usage('give exactly one of --config-dir DIR, --kubeconfig PATH, --in-cluster');
    if (flags.manageNetworkPolicies === true && flags.configDir !== undefined)
      usage('--manage-network-policies needs Kubernetes mode (--kubeconfig PATH or --in-cluster)');
    if (flags.identityDir === undefined)
      usage('--identity-dir DIR is required (create one with: weft identity create-ca --identity-dir DIR)');
    if (flags.identitySecrets !== undefined && flags.configDir !== undefined)
      usage('--identity-secrets needs Kubernetes mode (--kubeconfig or --in-cluster)');
    for (const id of flags.gatewayIdentity)
      if (!/^spiffe:\/\/[^/\s]+\/\S+$/.test(id)) usage(`--gateway-identity: "${id}" is not a SPIFFE ID`);
    if (flags.gatewayService !== undefined && !/^[a-z0-9-]+\/[a-z0-9.-]+$/.test(flags.gatewayService))
      usage(`--gateway-service: "${flags.gatewayService}" is not namespace/name`);
    const listen = parseListen(flags.listen) ?? usage(`--listen: "${flags.listen}" is not host:port`);
    const admin =
      parseListen(flags.adminListen) ?? usage(`--admin-listen: "${flags.adminListen}" is not host:port`);

    const kubernetes = flags.configDir === undefined;
    if (flags.leaderElect === true && !kubernetes)
      usage('--leader-elect needs --kubeconfig or --in-cluster (a folder has one control plane)');
    if (flags.leaseDuration < 3000)
      usage('--lease-duration: at least 3s (the renew deadline and retry period are fractions of it)');
    const leaderElect = kubernetes && flags.leaderElect !== false;

    const { loadKubeConfig, registerTracingMetrics, startControlPlane } = await import('@weft/control-plane');
    const logger = createLogger({ component: 'control-plane' });
    routeGrpcLogs(logger);
    const tracing = tracingFromFlags(
      flags,
      {
        serviceName: 'weft-control-plane',
        namespace: process.env.WEFT_NAMESPACE ?? process.env.POD_NAMESPACE,
        podName: process.env.HOSTNAME,
      },
      logger,
      cmd,
    );
    const running = await startControlPlane({
      source:
        flags.configDir !== undefined
          ? { type: 'folder', dir: flags.configDir }
          : {
              type: 'kubernetes',
              kubeConfig: loadKubeConfig({ kubeconfig: flags.kubeconfig, inCluster: flags.inCluster }),
            },
      identityDir: flags.identityDir as string,
      ...(flags.trustDomain === undefined ? {} : { trustDomain: flags.trustDomain }),
      ...(flags.meshConfig === undefined ? {} : { meshConfigFile: flags.meshConfig }),
      grpcAddress: `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`,
      admin,
      clusterDomain: flags.clusterDomain,
      registrationGraceMs: flags.registrationGrace,
      ...(flags.workloadCertTtl === undefined ? {} : { workloadCertTtlMs: flags.workloadCertTtl }),
      ...(flags.manageNetworkPolicies === true
        ? {
            manageNetworkPolicies: { controlPlaneNamespace: process.env.WEFT_POD_NAMESPACE ?? 'weft-system' },
          }
        : {}),
      ...(leaderElect
        ? {
            leaderElection: {
              name: flags.leaseName,
              namespace: flags.leaseNamespace ?? process.env.WEFT_POD_NAMESPACE ?? 'weft-system',
              identity: flags.leaseIdentity ?? process.env.WEFT_POD_NAME ?? hostname(),
              leaseDurationMs: flags.leaseDuration,
            },
          }
        : {}),
      maxStreamAgeMs: flags.maxStreamAge,
      ...(flags.shutdownDrain === undefined ? {} : { shutdownDrainMs: flags.shutdownDrain }),
      identityReloadMs: flags.identityReload,
      ...(flags.identitySecrets === undefined ? {} : { identitySecretsNamespace: flags.identitySecrets }),
      ...(flags.gatewayIdentity.length === 0 ? {} : { gatewayIdentities: flags.gatewayIdentity }),
      ...(flags.gatewayService === undefined ? {} : { gatewayService: flags.gatewayService }),
      logger,
      tracer: () => tracing.tracer,
    });
    registerTracingMetrics(running.controlPlane.metrics.registry, () => tracing.stats());
    try {
      // The mesh config's tracing applies unless a flag or OTEL_* variable says otherwise.
      tracing.applyMeshConfig(running.controlPlane.state.meshConfig().tracing);
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'mesh config tracing not applied');
    }
    const { grpcPort, adminPort } = running.addresses;
    io.stdout(
      `${JSON.stringify({ event: 'listening', grpc: grpcPort, admin: adminPort, trustDomain: running.trustDomain })}\n`,
    );
    const signal = await untilSignal();
    logger.info({ signal }, 'stopping');
    await running.close();
    await tracing.close();
  });
}

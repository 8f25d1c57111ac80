/**
 * `weft gateway`: the proxy as an ingress gateway. Clients outside the mesh connect to its
 * listeners (HTTP, HTTPS with SNI, h2, h2c, gRPC); requests enter the mesh over mTLS with the
 * gateway's own identity. Config from the control plane (its GatewayClass) or from --config.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { adminAddressProblem, defaultProxyOptions } from '@weft/proxy/options';
import { createLogger } from '@weft/runtime';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { durationArg } from '../cli-kit/duration.js';
import { envForEveryFlag } from '../cli-kit/env.js';
import { addHardeningOptions, type HardeningFlags, hardeningFromFlags } from '../cli-kit/hardening-flags.js';
import { type IdentityFlags, identitySource } from '../cli-kit/identity-source.js';
import type { CliIo } from '../cli-kit/io.js';
import { portArg, positiveArg } from '../cli-kit/number-args.js';
import { untilStopped } from '../cli-kit/until-stopped.js';
import { addTracingOptions, type TracingFlags, tracingFromFlags } from '../telemetry/tracing-flags.js';

/** `443=8443` (repeatable; comma-separated in WEFT_PORT_MAP): listener port 443 binds 8443 (0: any). */
export function parsePortMap(value: string, previous: Map<number, number> = new Map()): Map<number, number> {
  const out = new Map(previous);
  for (const item of value.split(',').filter((s) => s !== '')) {
    const [listener, bind] = item.split('=', 2) as [string, string | undefined];
    if (bind === undefined)
      throw new InvalidArgumentError(`--port-map "${item}" is not LISTENERPORT=BINDPORT`);
    out.set(portArg(listener, false), portArg(bind, true));
  }
  return out;
}

/** `10.0.0.0/8` or an address (repeatable; comma-separated in WEFT_TRUSTED_PROXIES). */
function parseCidrs(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').filter((s) => s !== '')];
}

interface GatewayFlags extends TracingFlags, HardeningFlags, IdentityFlags {
  namespace: string;
  serviceAccount?: string;
  workload?: string;
  config?: string;
  gatewayClass: string;
  portMap?: Map<number, number>;
  listenHost: string;
  trustedProxies?: string[];
  adminPort: number;
  adminHost: string;
  adminProbeHost: string;
  handshakeTimeout: number;
  detectTimeout: number;
  discoveryWait: number;
  drainTimeout: number;
  mirrorMaxInFlight: number;
  mirrorTimeout: number;
  weft2: boolean;
}

export function registerGateway(program: Command, io: CliIo): void {
  const command = program
    .command('gateway')
    .description('run the ingress gateway: listeners for clients outside the mesh, into the mesh over mTLS')
    .addOption(new Option('--control-plane <host:port>', 'control plane gRPC address'))
    .addOption(new Option('--ca-file <file>', "PEM of the CA that signed the control plane's certificate"))
    .addOption(
      new Option(
        '--token-file <file>',
        "token for Certify: the gateway's own identity (join token or ServiceAccount token)",
      ),
    )
    .addOption(new Option('--cert-file <file>', 'a fixed gateway certificate chain (PEM) instead of Certify'))
    .addOption(new Option('--key-file <file>', 'the private key for --cert-file'))
    .addOption(new Option('--namespace <ns>', 'namespace of the gateway').default('weft-system'))
    .addOption(
      new Option('--service-account <sa>', "service account (default: the certificate's, else weft-gateway)"),
    )
    .addOption(new Option('--trust-domain <domain>', 'trust domain of the SVID').default('cluster.local'))
    .addOption(new Option('--workload <name>', 'workload (pod) name'))
    .addOption(
      new Option(
        '--config <file>',
        "a GatewayConfig as proto3 JSON, re-read when it changes (instead of the control plane's push)",
      ),
    )
    .addOption(
      new Option('--gateway-class <name>', 'the GatewayClass whose config the control plane pushes').default(
        'weft',
      ),
    )
    .addOption(
      new Option(
        '--port-map <listener=bind>',
        'bind listener port LISTENER on port BIND instead (0 = any free port; repeatable)',
      ).argParser(parsePortMap),
    )
    .addOption(new Option('--listen-host <ip>', 'address the gateway ports bind').default('0.0.0.0'))
    .addOption(
      new Option(
        '--trusted-proxies <cidr>',
        'peers whose x-forwarded-*/forwarded headers are kept and appended to (repeatable; default none: replaced)',
      ).argParser(parseCidrs),
    )
    .addOption(
      new Option('--admin-port <port>', 'admin listener port (0 = any)')
        .default(7191)
        .argParser((v) => portArg(v, true)),
    )
    .addOption(new Option('--admin-host <ip>', 'address the admin listener binds').default('127.0.0.1'))
    .addOption(
      new Option(
        '--admin-probe-host <ip>',
        'the pod IP: a probe-only admin listener (/live, /ready, /metrics)',
      ).default(''),
    )
    .addOption(
      new Option('--handshake-timeout <duration>', 'time a client has to finish the TLS handshake')
        .default(10_000, '10s')
        .argParser(durationArg),
    )
    .addOption(
      new Option(
        '--detect-timeout <duration>',
        'time for the first bytes on a plaintext port (HTTP/1 or h2c)',
      )
        .default(5000, '5s')
        .argParser(durationArg),
    )
    .addOption(
      new Option('--discovery-wait <duration>', 'how long a request waits for a new backend to resolve')
        .default(3000, '3s')
        .argParser(durationArg),
    )
    .addOption(
      new Option('--drain-timeout <duration>', 'SIGTERM drain deadline')
        .default(10_000, '10s')
        .argParser(durationArg),
    )
    .addOption(
      new Option(
        '--mirror-max-in-flight <n>',
        'most mirrored requests outstanding (more are skipped and counted)',
      )
        .default(64)
        .argParser(positiveArg),
    )
    .addOption(
      new Option('--mirror-timeout <duration>', 'time a mirrored request may take')
        .default(10_000, '10s')
        .argParser(durationArg),
    )
    .addOption(new Option('--no-weft2', 'speak only ALPN weft.1 with sidecars'));
  addHardeningOptions(command, {
    maxConnections: 'client connections per gateway port',
    maxTotalConnections: 'client connections over all ports together',
    maxHeaders: 'most header fields per request head',
  });
  envForEveryFlag(addTracingOptions(command)).action(async (flags: GatewayFlags, cmd: Command) => {
    const [{ PROXY_VERSION, StaticCertificateSource }, { runGateway, gatewayTls }] = await Promise.all([
      import('@weft/proxy/run'),
      import('@weft/proxy/gateway'),
    ]);
    const adminProblem = adminAddressProblem(flags.adminHost, flags.adminProbeHost);
    if (adminProblem !== undefined) cmd.error(`weft gateway: ${adminProblem}`, { exitCode: 2 });
    if (flags.config === undefined && flags.controlPlane === undefined) {
      cmd.error('weft gateway: give --config FILE, or --control-plane to receive the config', {
        exitCode: 2,
      });
    }
    const identity = identitySource(flags, cmd, StaticCertificateSource);
    const controlPlaneCa = flags.caFile === undefined ? undefined : readFileSync(flags.caFile, 'utf8');
    const workload = flags.workload ?? `weft-gateway-${hostname()}-${process.pid}`;
    const options = defaultProxyOptions({
      namespace: flags.namespace,
      // No service: the gateway registers no endpoint; it is a client of the mesh.
      service: '',
      serviceAccount:
        flags.serviceAccount ??
        (identity.type === 'certify' || flags.certFile !== undefined ? '' : 'weft-gateway'),
      workload,
      // The proxy's own listeners are internal to the gateway: loopback, any free port.
      listenHost: '127.0.0.1',
      advertiseAddress: '127.0.0.1',
      inboundPort: 0,
      outboundPort: 0,
      adminPort: flags.adminPort,
      adminHost: flags.adminHost,
      adminProbeHost: flags.adminProbeHost,
      detectTimeoutMs: flags.detectTimeout,
      opaquePorts: new Set(),
      discoveryWaitMs: flags.discoveryWait,
      drainTimeoutMs: flags.drainTimeout,
      defaultMtlsMode: 'strict',
      weft2: flags.weft2,
      hardening: hardeningFromFlags(flags),
    });
    const logger = createLogger({ component: 'gateway' });
    const tracing = tracingFromFlags(
      flags,
      {
        serviceName: 'weft-gateway',
        namespace: flags.namespace,
        podName: workload,
        version: PROXY_VERSION,
      },
      logger,
      cmd,
    );
    // A config file or flag that cannot be used throws: printed as `weft gateway: <why>`, exit 1.
    const running = await runGateway({
      sidecar: { options, identity, controlPlane: flags.controlPlane, controlPlaneCa, logger, tracing },
      gateway: {
        className: flags.gatewayClass,
        listenHost: flags.listenHost,
        portMap: flags.portMap ?? new Map(),
        trustedProxies: flags.trustedProxies ?? [],
        handshakeTimeoutMs: flags.handshakeTimeout,
        mirrorMaxInFlight: flags.mirrorMaxInFlight,
        mirrorTimeoutMs: flags.mirrorTimeout,
      },
      ...(flags.config === undefined ? {} : { configFile: flags.config }),
    });
    const gatewayPorts = running.gateway.boundPorts();
    const tls = gatewayTls();
    logger.info({ ports: gatewayPorts, admin: running.proxy.ports.admin, tls }, 'gateway listening');
    io.stdout(
      `${JSON.stringify({ event: 'listening', gateway: gatewayPorts, admin: running.proxy.ports.admin, tls })}\n`,
    );
    void running.proxy.ready.then((timeline) => {
      io.stdout(`${JSON.stringify({ event: 'ready', ms: timeline.ready })}\n`);
    });
    await untilStopped(running.proxy.sidecar, () => running.stop(), logger);
  });
}

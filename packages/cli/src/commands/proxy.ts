/** `weft proxy`: the sidecar. Flags mirror WEFT_* environment variables (the injector sets those). */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { formatDurationMs } from '@weft/api/duration';
import { createLogger } from '@weft/core';
// Only the options module is loaded up front; the proxy itself is imported when the command
// runs, so other commands never pay for it (and it loads only what its flags need).
import type { IdentitySource, InboundMapping, UpstreamListener } from '@weft/proxy';
import {
  adminAddressProblem,
  DEFAULT_DNS_PORT,
  DEFAULT_HARDENING,
  DEFAULT_OPAQUE_PORTS,
  defaultProxyOptions,
} from '@weft/proxy/options';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { durationArg, durationOrZeroArg } from '../cli-kit/duration.js';
import { envForEveryFlag } from '../cli-kit/env.js';
import type { CliIo } from '../program.js';
import { addTracingOptions, type TracingFlags, tracingFromFlags } from '../telemetry/tracing-flags.js';
import { addH2Options, type H2Flags, h2LimitsFromFlags } from './proxy-h2-flags.js';

function port(value: string, allowZero = true): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535 || (!allowZero && n === 0)) {
    throw new InvalidArgumentError(`"${value}" is not a port (0-65535)`);
  }
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

function hostPort(value: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:=]+)):(\d+)$/.exec(value);
  if (m === null) throw new InvalidArgumentError(`${what} "${value}" is not HOST:PORT`);
  return { host: (m[1] ?? m[2])!, port: port(m[3]!) };
}

/** `80` or `80=127.0.0.1:34567`; repeatable, and comma-separated in WEFT_INBOUND. */
export function parseInbound(value: string, previous: InboundMapping[] = []): InboundMapping[] {
  const out = [...previous];
  for (const item of value.split(',').filter((s) => s !== '')) {
    const [svc, app] = item.split('=', 2) as [string, string | undefined];
    const servicePort = port(svc, false);
    if (app === undefined) out.push({ servicePort, appHost: '127.0.0.1', appPort: servicePort });
    else {
      const hp = hostPort(app, '--inbound app address');
      out.push({ servicePort, appHost: hp.host, appPort: hp.port });
    }
  }
  return out;
}

/** `reviews.default:9080=127.0.0.1:19080`; repeatable, and comma-separated in WEFT_UPSTREAM. */
export function parseUpstream(value: string, previous: UpstreamListener[] = []): UpstreamListener[] {
  const out = [...previous];
  for (const item of value.split(',').filter((s) => s !== '')) {
    const eq = item.lastIndexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`--upstream "${item}" is not AUTHORITY=HOST:PORT`);
    const authority = item.slice(0, eq);
    hostPort(authority, '--upstream authority');
    const listen = hostPort(item.slice(eq + 1), '--upstream listen address');
    out.push({ authority, host: listen.host, port: listen.port });
  }
  return out;
}

function ports(value: string): number[] {
  return value
    .split(',')
    .filter((s) => s !== '')
    .map((p) => port(p, false));
}

interface ProxyFlags extends TracingFlags, H2Flags {
  controlPlane?: string;
  caFile?: string;
  tokenFile?: string;
  certFile?: string;
  keyFile?: string;
  namespace: string;
  trustDomain: string;
  service: string;
  serviceAccount?: string;
  workload?: string;
  inbound?: InboundMapping[];
  upstream?: UpstreamListener[];
  inboundPort: number;
  outboundPort: number;
  adminPort: number;
  listenHost: string;
  adminHost: string;
  adminProbeHost: string;
  advertiseAddress?: string;
  detectTimeout: number;
  opaquePorts: number[];
  discoveryWait: number;
  discoveryIdle: number;
  drainTimeout: number;
  mtlsMode: 'strict' | 'permissive';
  maxConnections: number;
  maxTotalConnections: number;
  maxConnectionBufferBytes: number;
  maxHeaderBytes: number;
  maxHeaders: number;
  headersTimeout: number;
  requestTimeout: number;
  idleTimeout: number;
  transparent: boolean;
  weft2: boolean;
  dns: boolean;
  dnsListen?: { host: string; port: number };
  dnsResolvConf: string;
  dnsUpstream?: { host: string; port: number }[];
  clusterDomain: string;
}

export function registerProxy(program: Command, io: CliIo): void {
  const command = program
    .command('proxy')
    .description('run the sidecar proxy (inbound mTLS, outbound, admin)')
    .addOption(
      new Option(
        '--control-plane <host:port>',
        'control plane gRPC address (none: pass everything through)',
      ).env('WEFT_CONTROL_PLANE'),
    )
    .addOption(
      new Option('--ca-file <file>', "PEM of the CA that signed the control plane's certificate").env(
        'WEFT_CA_FILE',
      ),
    )
    .addOption(
      new Option('--token-file <file>', 'token for Certify (join token or ServiceAccount token)').env(
        'WEFT_TOKEN_FILE',
      ),
    )
    .addOption(
      new Option('--cert-file <file>', 'a fixed workload certificate chain (PEM) instead of Certify').env(
        'WEFT_CERT_FILE',
      ),
    )
    .addOption(new Option('--key-file <file>', 'the private key for --cert-file').env('WEFT_KEY_FILE'))
    .addOption(
      new Option('--namespace <ns>', 'namespace of this workload')
        .env('WEFT_NAMESPACE')
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--service <name>', 'service this workload serves')
        .env('WEFT_SERVICE')
        .makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--service-account <sa>',
        'service account; with a certificate, the certificate\'s is announced (default: the certificate\'s, else "default")',
      ).env('WEFT_SERVICE_ACCOUNT'),
    )
    .addOption(
      new Option('--trust-domain <domain>', 'trust domain of the SVID')
        .env('WEFT_TRUST_DOMAIN')
        .default('cluster.local'),
    )
    .addOption(new Option('--workload <name>', 'workload (pod) name').env('WEFT_WORKLOAD'))
    .addOption(
      new Option(
        '--inbound <port[=host:port]>',
        'a service port served here, and where its app listens (repeatable)',
      )
        .env('WEFT_INBOUND')
        .argParser(parseInbound),
    )
    .addOption(
      new Option(
        '--upstream <authority=host:port>',
        'a local listener carrying traffic to authority (repeatable)',
      )
        .env('WEFT_UPSTREAM')
        .argParser(parseUpstream),
    )
    .addOption(
      new Option('--inbound-port <port>', 'inbound listener port (0 = any)')
        .env('WEFT_INBOUND_PORT')
        .default(7143)
        .argParser((v) => port(v)),
    )
    .addOption(
      new Option('--outbound-port <port>', 'transparent outbound listener port (0 = any)')
        .env('WEFT_OUTBOUND_PORT')
        .default(7140)
        .argParser((v) => port(v)),
    )
    .addOption(
      new Option('--admin-port <port>', 'admin listener port (0 = any)')
        .env('WEFT_ADMIN_PORT')
        .default(7191)
        .argParser((v) => port(v)),
    )
    .addOption(
      new Option('--listen-host <ip>', 'address the inbound and outbound listeners bind')
        .env('WEFT_LISTEN_HOST')
        .default('0.0.0.0'),
    )
    .addOption(
      new Option(
        '--admin-host <ip>',
        'address the full admin listener binds (/config and /shutdown answer loopback peers only)',
      )
        .env('WEFT_ADMIN_HOST')
        .default('127.0.0.1'),
    )
    .addOption(
      new Option(
        '--admin-probe-host <ip>',
        'the pod IP: a second admin listener on the admin port serving only /live, /ready and /metrics',
      )
        .env('WEFT_ADMIN_PROBE_HOST')
        .default(''),
    )
    .addOption(
      new Option(
        '--advertise-address <ip>',
        'address other proxies reach this one on (default: --listen-host, or 127.0.0.1 when that is a wildcard)',
      ).env('WEFT_ADVERTISE_ADDRESS'),
    )
    .addOption(
      new Option('--detect-timeout <duration>', 'protocol detection timeout')
        .env('WEFT_DETECT_TIMEOUT')
        .default(1000, '1s')
        .argParser(durationArg),
    )
    .addOption(
      new Option('--opaque-ports <ports>', 'comma-separated ports never sniffed')
        .env('WEFT_OPAQUE_PORTS')
        .default(DEFAULT_OPAQUE_PORTS)
        .argParser(ports),
    )
    .addOption(
      new Option('--discovery-wait <duration>', 'how long a request waits for a new destination')
        .env('WEFT_DISCOVERY_WAIT')
        .default(3000, '3s')
        .argParser(durationArg),
    )
    .addOption(
      new Option(
        '--discovery-idle <duration>',
        'unsubscribe a destination no request used for this long (0: never)',
      )
        .env('WEFT_DISCOVERY_IDLE')
        .default(300_000, '5m')
        .argParser(durationOrZeroArg),
    )
    .addOption(
      new Option('--drain-timeout <duration>', 'SIGTERM drain deadline')
        .env('WEFT_DRAIN_TIMEOUT')
        .default(10_000, '10s')
        .argParser(durationArg),
    )
    .addOption(
      new Option('--mtls-mode <mode>', 'inbound mTLS mode until the control plane says otherwise')
        .env('WEFT_MTLS_MODE')
        .choices(['strict', 'permissive'])
        .default('permissive'),
    )
    .addOption(
      new Option('--max-connections <n>', 'connections per listener')
        .env('WEFT_MAX_CONNECTIONS')
        .default(DEFAULT_HARDENING.maxConnections)
        .argParser(positive),
    )
    .addOption(
      new Option('--max-total-connections <n>', 'client connections over all listeners together')
        .env('WEFT_MAX_TOTAL_CONNECTIONS')
        .default(DEFAULT_HARDENING.maxTotalConnections)
        .argParser(positive),
    )
    .addOption(
      new Option('--max-connection-buffer-bytes <n>', 'bytes one HTTP/1 connection may hold unforwarded')
        .env('WEFT_MAX_CONNECTION_BUFFER_BYTES')
        .default(DEFAULT_HARDENING.maxConnectionBufferBytes)
        .argParser(positive),
    )
    .addOption(
      new Option('--max-header-bytes <n>', 'largest request head')
        .env('WEFT_MAX_HEADER_BYTES')
        .default(DEFAULT_HARDENING.maxHeadBytes)
        .argParser(positive),
    )
    .addOption(
      new Option('--max-headers <n>', 'most end-to-end header fields per request or response head')
        .env('WEFT_MAX_HEADERS')
        .default(DEFAULT_HARDENING.maxHeaders)
        .argParser(positive),
    )
    .addOption(
      new Option('--headers-timeout <duration>', 'time to receive a request head (408 after)')
        .env('WEFT_HEADERS_TIMEOUT')
        .default(DEFAULT_HARDENING.headersTimeoutMs, formatDurationMs(DEFAULT_HARDENING.headersTimeoutMs))
        .argParser(durationArg),
    )
    .addOption(
      new Option(
        '--request-timeout <duration>',
        'time to receive a request body once its head arrived (408 after)',
      )
        .env('WEFT_REQUEST_TIMEOUT')
        .default(DEFAULT_HARDENING.requestTimeoutMs, formatDurationMs(DEFAULT_HARDENING.requestTimeoutMs))
        .argParser(durationArg),
    )
    .addOption(
      new Option('--idle-timeout <duration>', 'close client connections idle this long')
        .env('WEFT_IDLE_TIMEOUT')
        .default(DEFAULT_HARDENING.idleTimeoutMs, formatDurationMs(DEFAULT_HARDENING.idleTimeoutMs))
        .argParser(durationArg),
    )
    .addOption(
      new Option(
        '--no-weft2',
        'speak only ALPN weft.1 with other proxies (no multiplexed weft.2 connections)',
      ),
    )
    .addOption(new Option('--no-dns', 'run no DNS proxy'))
    .addOption(
      new Option(
        '--dns-listen <host:port>',
        `DNS proxy address, UDP and TCP (default 127.0.0.1:${DEFAULT_DNS_PORT} and [::1]:${DEFAULT_DNS_PORT}; given explicitly, only that address, and failing to bind it is fatal)`,
      ).argParser((v) => hostPort(v, '--dns-listen')),
    )
    .addOption(
      new Option(
        '--dns-resolv-conf <file>',
        "the pod's original resolv.conf: upstream resolvers and search path",
      ).default('/etc/resolv.conf'),
    )
    .addOption(
      new Option(
        '--dns-upstream <host:port>',
        'an upstream resolver instead of the resolv.conf nameservers (repeatable)',
      ).argParser((v, prev: { host: string; port: number }[] = []) => [
        ...prev,
        hostPort(v, '--dns-upstream'),
      ]),
    )
    .addOption(
      new Option('--cluster-domain <domain>', 'DNS suffix of Service names').default('cluster.local'),
    );
  envForEveryFlag(addTracingOptions(addH2Options(command))).action(
    async (flags: ProxyFlags, command: Command) => {
      const { loadOriginalDstReader, PROXY_VERSION, runSidecar, StaticCertificateSource } = await import(
        '@weft/proxy/run'
      );
      const adminProblem = adminAddressProblem(flags.adminHost, flags.adminProbeHost);
      if (adminProblem !== undefined) command.error(`weft proxy: ${adminProblem}`, { exitCode: 2 });
      const identity = identitySource(flags, command, StaticCertificateSource);
      const controlPlaneCa = flags.caFile === undefined ? undefined : readFileSync(flags.caFile, 'utf8');
      const options = defaultProxyOptions({
        namespace: flags.namespace,
        service: flags.service,
        // Empty: announce the service account of the issued certificate (see identityToAnnounce).
        serviceAccount:
          flags.serviceAccount ??
          (identity.type === 'certify' || flags.certFile !== undefined ? '' : 'default'),
        workload: flags.workload ?? `${flags.service}-${hostname()}-${process.pid}`,
        inbound: flags.inbound ?? [],
        upstreams: flags.upstream ?? [],
        listenHost: flags.listenHost,
        adminHost: flags.adminHost,
        adminProbeHost: flags.adminProbeHost,
        advertiseAddress: flags.advertiseAddress ?? advertisedDefault(flags.listenHost),
        inboundPort: flags.inboundPort,
        outboundPort: flags.outboundPort,
        adminPort: flags.adminPort,
        detectTimeoutMs: flags.detectTimeout,
        opaquePorts: new Set(flags.opaquePorts),
        discoveryWaitMs: flags.discoveryWait,
        discoveryIdleMs: flags.discoveryIdle,
        drainTimeoutMs: flags.drainTimeout,
        defaultMtlsMode: flags.mtlsMode,
        weft2: flags.weft2,
        ...(flags.dns
          ? {
              dns: {
                host: flags.dnsListen?.host ?? '127.0.0.1',
                port: flags.dnsListen?.port ?? DEFAULT_DNS_PORT,
                required: flags.dnsListen !== undefined,
                ipv6Loopback: flags.dnsListen === undefined,
                resolvConfPath: flags.dnsResolvConf,
                upstreams: flags.dnsUpstream ?? [],
                clusterDomain: flags.clusterDomain.toLowerCase().replace(/\.$/, ''),
              },
            }
          : {}),
        hardening: {
          ...DEFAULT_HARDENING,
          maxConnections: flags.maxConnections,
          maxTotalConnections: flags.maxTotalConnections,
          maxConnectionBufferBytes: flags.maxConnectionBufferBytes,
          maxHeadBytes: flags.maxHeaderBytes,
          maxHeaders: flags.maxHeaders,
          headersTimeoutMs: flags.headersTimeout,
          requestTimeoutMs: flags.requestTimeout,
          idleTimeoutMs: flags.idleTimeout,
          h2: h2LimitsFromFlags(flags),
        },
      });
      const logger = createLogger({ component: 'proxy' });
      const tracing = tracingFromFlags(
        flags,
        {
          serviceName: flags.service,
          namespace: flags.namespace,
          podName: options.workload,
          version: PROXY_VERSION,
        },
        logger,
        command,
      );
      const running = await runSidecar({
        options,
        identity,
        controlPlane: flags.controlPlane,
        controlPlaneCa,
        originalDst: loadOriginalDstReader(),
        logger,
        tracing,
      });
      io.stdout(`${JSON.stringify({ event: 'listening', ...running.ports })}\n`);
      // ms since the process started at each start-up step (docs/proxy-transport.md, "Start-up").
      void running.ready.then((timeline) => {
        io.stdout(`${JSON.stringify({ event: 'ready', ms: timeline.ready, timeline })}\n`);
      });
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (why: string) => {
          if (stopping) return;
          stopping = true;
          logger.info({ why }, 'draining');
          running.stop().then(resolve, resolve);
        };
        running.sidecar.onShutdownRequest = () => stop('/shutdown');
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    },
  );
}

/** The identity from --cert-file/--key-file, --token-file, or none (shared with `weft gateway`). */
export function identitySource(
  flags: Pick<ProxyFlags, 'certFile' | 'keyFile' | 'caFile' | 'tokenFile' | 'controlPlane' | 'trustDomain'>,
  command: Command,
  StaticCertificateSource: typeof import('@weft/proxy/run').StaticCertificateSource,
): IdentitySource {
  if (flags.certFile !== undefined || flags.keyFile !== undefined) {
    if (flags.certFile === undefined || flags.keyFile === undefined || flags.caFile === undefined) {
      command.error('--cert-file needs --key-file and --ca-file (the trust bundle)', { exitCode: 2 });
    }
    return {
      type: 'static',
      certificates: new StaticCertificateSource({
        certChain: readFileSync(flags.certFile!, 'utf8'),
        key: readFileSync(flags.keyFile!, 'utf8'),
        trustBundle: readFileSync(flags.caFile!, 'utf8'),
      }),
    };
  }
  if (flags.tokenFile !== undefined) {
    if (flags.controlPlane === undefined || flags.caFile === undefined) {
      command.error('--token-file needs --control-plane and --ca-file', { exitCode: 2 });
    }
    return { type: 'certify', tokenFile: flags.tokenFile, trustDomain: flags.trustDomain };
  }
  // No identity at all: plaintext only (outbound passthrough, permissive inbound).
  return { type: 'static', certificates: new StaticCertificateSource() };
}

/** Where other proxies dial this one when no address is given: the bound listen address, unless it is a wildcard. */
export function advertisedDefault(listenHost: string): string {
  return listenHost === '0.0.0.0' || listenHost === '::' || listenHost === '' ? '127.0.0.1' : listenHost;
}

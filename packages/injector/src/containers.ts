/** The containers and volumes the injector adds: `weft-init`, `weft-proxy`, and their volumes. */

import { sidecarNodeOptions } from '@weft/core';
import {
  ANNOTATION_TRUST_ANCHORS,
  INIT_CONTAINER_NAME,
  PORTS,
  PROXY_CONTAINER_NAME,
  PROXY_ENV,
  PROXY_UID,
  TOKEN_AUDIENCE,
  TOKEN_EXPIRATION_SECONDS,
  TOKEN_FILE_NAME,
  TOKEN_MOUNT_PATH,
  TOKEN_VOLUME_NAME,
  TRUST_ANCHORS_FILE_NAME,
  TRUST_ANCHORS_MOUNT_PATH,
  TRUST_ANCHORS_VOLUME_NAME,
  XTABLES_VOLUME_NAME,
} from './constants.js';
import type { ProxyOptions } from './proxy-options.js';
import type { InjectorConfig } from './settings.js';

/** What the containers are built from. */
export interface SidecarInput {
  readonly config: InjectorConfig;
  readonly options: ProxyOptions;
  /** The app containers' TCP ports, sorted, for the proxy's inbound listener. */
  readonly inboundPorts: readonly number[];
  /** The service the workload serves (from its labels). */
  readonly service: string;
}

/** The `weft-init` init container: runs `weft init` with NET_ADMIN and NET_RAW only. */
export function initContainer(input: SidecarInput): Record<string, unknown> {
  const { options } = input;
  const skipInbound = [String(PORTS.admin), options.skipInboundPorts].filter((s) => s !== '').join(',');
  const args = [
    'init',
    '--inbound-port',
    String(PORTS.inbound),
    '--outbound-port',
    String(PORTS.outbound),
    '--proxy-uid',
    String(PROXY_UID),
    '--skip-inbound-ports',
    skipInbound,
  ];
  if (options.skipOutboundPorts !== '') args.push('--skip-outbound-ports', options.skipOutboundPorts);
  if (options.skipOutboundCidrs !== '') args.push('--skip-outbound-cidrs', options.skipOutboundCidrs);
  if (options.dnsCapture) args.push('--dns-capture', '--dns-port', String(PORTS.dns));
  return {
    name: INIT_CONTAINER_NAME,
    image: input.config.injector.image,
    imagePullPolicy: input.config.injector.imagePullPolicy,
    args,
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
    securityContext: {
      // iptables needs root inside the pod's network namespace, and nothing but these two capabilities.
      runAsUser: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    // iptables takes its lock in /run; the root filesystem is read-only.
    volumeMounts: [{ name: XTABLES_VOLUME_NAME, mountPath: '/run' }],
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

function fieldEnv(name: string, fieldPath: string): Record<string, unknown> {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/**
 * The `weft-proxy` container. As a native sidecar it carries `restartPolicy: Always`, and its
 * startupProbe on /ready holds the app containers until the proxy is ready. The probes go to the
 * pod IP's admin port, which serves only /live, /ready and /metrics (docs/security.md).
 */
export function proxyContainer(input: SidecarInput): Record<string, unknown> {
  const { config, options } = input;
  const ready = { httpGet: { path: '/ready', port: PORTS.admin } };
  const hasAnchors = config.injector.trustAnchorsPem !== undefined;
  const env: Record<string, unknown>[] = [
    fieldEnv(PROXY_ENV.workload, 'metadata.name'),
    fieldEnv(PROXY_ENV.namespace, 'metadata.namespace'),
    fieldEnv(PROXY_ENV.advertiseAddress, 'status.podIP'),
    // The full admin surface stays on loopback; kubelet's probes and Prometheus reach the pod IP,
    // where the proxy serves only /live, /ready and /metrics on the same port.
    { name: PROXY_ENV.adminHost, value: '127.0.0.1' },
    fieldEnv(PROXY_ENV.adminProbeHost, 'status.podIP'),
    fieldEnv(PROXY_ENV.serviceAccount, 'spec.serviceAccountName'),
    { name: PROXY_ENV.service, value: input.service },
    { name: PROXY_ENV.controlPlane, value: config.injector.controlPlaneAddress },
    { name: PROXY_ENV.tokenFile, value: `${TOKEN_MOUNT_PATH}/${TOKEN_FILE_NAME}` },
    { name: PROXY_ENV.opaquePorts, value: options.opaquePorts },
    { name: PROXY_ENV.mtlsMode, value: config.mesh.mtls },
    { name: PROXY_ENV.inboundPolicy, value: options.inboundPolicy },
    { name: PROXY_ENV.inboundPort, value: String(PORTS.inbound) },
    { name: PROXY_ENV.outboundPort, value: String(PORTS.outbound) },
    { name: PROXY_ENV.adminPort, value: String(PORTS.admin) },
    { name: PROXY_ENV.logLevel, value: config.mesh.proxy.logLevel },
    // V8 flags chosen by measurement (see @weft/core sidecarNodeOptions, docs/proxy-transport.md).
    { name: 'NODE_OPTIONS', value: sidecarNodeOptions() },
  ];
  if (input.inboundPorts.length > 0) {
    env.push({ name: PROXY_ENV.inbound, value: input.inboundPorts.join(',') });
  }
  if (options.traceEndpoint !== '') env.push({ name: PROXY_ENV.otlp, value: options.traceEndpoint });
  if (options.traceProtocol !== '') env.push({ name: PROXY_ENV.otlpProtocol, value: options.traceProtocol });
  if (options.traceSampling !== '') env.push({ name: PROXY_ENV.traceSampling, value: options.traceSampling });
  if (hasAnchors) {
    const caFile = `${TRUST_ANCHORS_MOUNT_PATH}/${TRUST_ANCHORS_FILE_NAME}`;
    env.push({ name: PROXY_ENV.caFile, value: caFile });
  }
  const container: Record<string, unknown> = {
    name: PROXY_CONTAINER_NAME,
    image: config.injector.image,
    imagePullPolicy: config.injector.imagePullPolicy,
    args: ['proxy'],
    ports: [
      { name: 'weft-inbound', containerPort: PORTS.inbound, protocol: 'TCP' },
      { name: 'weft-admin', containerPort: PORTS.admin, protocol: 'TCP' },
    ],
    env,
    resources: {
      requests: { cpu: options.cpu, memory: options.memory },
      limits: { memory: options.memory },
    },
    securityContext: {
      runAsUser: PROXY_UID,
      runAsGroup: PROXY_UID,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    startupProbe: { ...ready, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 120 },
    readinessProbe: { ...ready, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 },
    livenessProbe: {
      httpGet: { path: '/live', port: PORTS.admin },
      periodSeconds: 10,
      timeoutSeconds: 1,
      failureThreshold: 3,
    },
    volumeMounts: [{ name: TOKEN_VOLUME_NAME, mountPath: TOKEN_MOUNT_PATH, readOnly: true }].concat(
      hasAnchors
        ? [{ name: TRUST_ANCHORS_VOLUME_NAME, mountPath: TRUST_ANCHORS_MOUNT_PATH, readOnly: true }]
        : [],
    ),
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  if (config.injector.nativeSidecar) container.restartPolicy = 'Always';
  return container;
}

/**
 * The volumes the containers mount: the projected token (audience weft, 1 h), the trust
 * anchors (from the pod's own annotation, when the injector has them), and the xtables lock
 * directory of weft-init.
 */
export function sidecarVolumes(config: InjectorConfig): Record<string, unknown>[] {
  const volumes: Record<string, unknown>[] = [
    {
      name: TOKEN_VOLUME_NAME,
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: TOKEN_AUDIENCE,
              expirationSeconds: TOKEN_EXPIRATION_SECONDS,
              path: TOKEN_FILE_NAME,
            },
          },
        ],
      },
    },
  ];
  if (config.injector.trustAnchorsPem !== undefined) {
    volumes.push({
      name: TRUST_ANCHORS_VOLUME_NAME,
      downwardAPI: {
        items: [
          {
            path: TRUST_ANCHORS_FILE_NAME,
            fieldRef: { fieldPath: `metadata.annotations['${ANNOTATION_TRUST_ANCHORS}']` },
          },
        ],
      },
    });
  }
  volumes.push({ name: XTABLES_VOLUME_NAME, emptyDir: {} });
  return volumes;
}

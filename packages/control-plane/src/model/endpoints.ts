/** The endpoints of one service port: EndpointSlices (with readiness and the Pod's identity), static endpoints, registrations. */
import type { EndpointMessage, EndpointSliceResource, PodResource, StaticEndpointsResource } from '@weft/api';
import type { Registration } from '../sources/config-source.js';
import type { ServiceModel, ServicePortModel } from './service-model.js';

/** The container the injector adds; a Pod with it runs a weft proxy. */
export const PROXY_CONTAINER = 'weft-proxy';
/** Pod annotation overriding the proxy's inbound listener port. */
export const INBOUND_PORT_ANNOTATION = 'weft.dev/inbound-port';
/** The proxy's inbound listener port unless a Pod says otherwise. */
export const DEFAULT_INBOUND_PORT = 7143;

/** What endpoint derivation reads from the mesh state. */
export interface EndpointInputs {
  readonly trustDomain: string;
  slicesOf(namespace: string, service: string): readonly EndpointSliceResource[];
  staticOf(namespace: string, service: string): readonly StaticEndpointsResource[];
  registrationsOf(namespace: string, service: string): readonly Registration[];
  pod(namespace: string, name: string): PodResource | undefined;
  /** The registration of a Kubernetes workload's proxy (by pod name), if connected. */
  registrationOfWorkload(namespace: string, workload: string): Registration | undefined;
}

/** The SPIFFE ID of a service account. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** Pod annotation the injector writes on every pod it injected. */
export const INJECTED_ANNOTATION = 'weft.dev/injected-version';

/** True when the pod runs a weft proxy: as a container, a native sidecar, or per the injector's annotation. */
export function runsProxy(pod: PodResource): boolean {
  return (
    pod.spec.containers.some((c) => c.name === PROXY_CONTAINER) ||
    (pod.spec.initContainers ?? []).some((c) => c.name === PROXY_CONTAINER && c.restartPolicy === 'Always') ||
    pod.metadata.annotations?.[INJECTED_ANNOTATION] !== undefined
  );
}

function meshedPod(
  inputs: EndpointInputs,
  namespace: string,
  podName: string,
): { identity: string; inboundPort: number } | undefined {
  const reg = inputs.registrationOfWorkload(namespace, podName);
  if (reg !== undefined) return { identity: reg.identity, inboundPort: reg.inboundListenerPort };
  const pod = inputs.pod(namespace, podName);
  if (pod === undefined || !runsProxy(pod)) return undefined;
  const annotated = Number(pod.metadata.annotations?.[INBOUND_PORT_ANNOTATION]);
  const inboundPort =
    Number.isInteger(annotated) && annotated > 0 && annotated < 65536 ? annotated : DEFAULT_INBOUND_PORT;
  return {
    identity: spiffeId(inputs.trustDomain, namespace, pod.spec.serviceAccountName ?? 'default'),
    inboundPort,
  };
}

function fromSlices(
  inputs: EndpointInputs,
  svc: ServiceModel,
  sp: ServicePortModel,
  out: Map<string, EndpointMessage>,
): void {
  for (const slice of inputs.slicesOf(svc.namespace, svc.name)) {
    if (slice.addressType === 'FQDN') continue;
    const slicePort = (slice.ports ?? []).find((p) => (p.name ?? '') === sp.name);
    if (slicePort?.port == null) continue;
    for (const ep of slice.endpoints ?? []) {
      // Kubernetes: a nil `ready` means ready; terminating endpoints are not ready.
      if (ep.conditions?.ready === false) continue;
      const address = ep.addresses[0] as string;
      const meshed =
        ep.targetRef?.kind === 'Pod' && ep.targetRef.name !== undefined
          ? meshedPod(inputs, ep.targetRef.namespace ?? svc.namespace, ep.targetRef.name)
          : undefined;
      out.set(`${address}:${slicePort.port}`, {
        address,
        port: slicePort.port,
        identity: meshed?.identity ?? '',
        weight: 1,
        zone: ep.zone ?? '',
        ...(meshed === undefined ? {} : { meshed: { inboundPort: meshed.inboundPort } }),
        labels: {},
      });
    }
  }
}

function fromStatic(
  inputs: EndpointInputs,
  svc: ServiceModel,
  sp: ServicePortModel,
  out: Map<string, EndpointMessage>,
): void {
  const target = typeof sp.targetPort === 'number' ? sp.targetPort : sp.port;
  for (const res of inputs.staticOf(svc.namespace, svc.name)) {
    for (const ep of res.spec.endpoints) {
      if (!ep.ready) continue;
      if (ep.port !== undefined && ep.port !== target) continue;
      out.set(`${ep.address}:${target}`, {
        address: ep.address,
        port: target,
        identity: ep.identity ?? '',
        weight: ep.weight,
        zone: ep.zone ?? '',
        ...(ep.inboundPort === undefined ? {} : { meshed: { inboundPort: ep.inboundPort } }),
        labels: ep.labels ?? {},
      });
    }
  }
}

function fromRegistrations(
  inputs: EndpointInputs,
  svc: ServiceModel,
  sp: ServicePortModel,
  out: Map<string, EndpointMessage>,
): void {
  const target = typeof sp.targetPort === 'number' ? sp.targetPort : sp.port;
  for (const reg of inputs.registrationsOf(svc.namespace, svc.name)) {
    // The workload port is the target port; a proxy that registered the service port itself
    // (its inbound maps service port -> app) is reached on that port instead.
    const port = reg.ports.some((p) => p.port === target)
      ? target
      : reg.ports.some((p) => p.port === sp.port)
        ? sp.port
        : undefined;
    if (port === undefined) continue;
    // Keyed by where the proxy is dialed (its inbound listener), not by the service port:
    // local replicas share an address and a service port but never an inbound listener.
    out.set(`${reg.address}:${reg.inboundListenerPort}>${port}`, {
      address: reg.address,
      port,
      identity: reg.identity,
      weight: 1,
      zone: reg.zone ?? '',
      meshed: { inboundPort: reg.inboundListenerPort },
      labels: { ...reg.labels },
    });
  }
}

/** The ready endpoints of one service port, sorted by address and port (so equal state serializes equally). */
export function endpointsOf(
  inputs: EndpointInputs,
  svc: ServiceModel,
  sp: ServicePortModel,
): EndpointMessage[] {
  const out = new Map<string, EndpointMessage>();
  fromSlices(inputs, svc, sp, out);
  fromStatic(inputs, svc, sp, out);
  fromRegistrations(inputs, svc, sp, out);
  return [...out.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
}

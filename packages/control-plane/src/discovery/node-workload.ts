/** What a proxy's node message and certificate say about its workload: the inbound view and its registration. */
import type { Node__Output } from '@weft/api';
import type { WorkloadRef } from '../model/inbound.js';
import type { PortProtocol } from '../model/service-model.js';
import type { Registration } from '../sources/config-source.js';
import type { WorkloadIdentity } from './peer-identity.js';

const PROTOCOLS: Readonly<Record<string, PortProtocol>> = {
  PROTOCOL_HTTP: 'http',
  PROTOCOL_HTTP2: 'http2',
  PROTOCOL_GRPC: 'grpc',
  PROTOCOL_TCP: 'tcp',
};

/** The proxy's inbound listener port unless its node says otherwise. */
const DEFAULT_INBOUND_LISTENER_PORT = 7143;

/** The workload a proxy fronts: namespace from the certificate, the rest from the node. */
export function workloadOf(identity: WorkloadIdentity, node: Node__Output): WorkloadRef {
  return {
    namespace: identity.namespace,
    workload: node.workload,
    ...(node.service === '' ? {} : { service: node.service }),
    labels: { ...node.labels },
    inboundPorts: node.inboundPorts
      .filter((p) => p.port > 0 && p.port < 65536)
      .map((p) => ({ port: p.port, protocol: PROTOCOLS[p.protocol] ?? 'detect' })),
  };
}

/** The registration of a connected proxy; `peer` is grpc-js's peer string, used when the node names no address. */
export function registrationOf(
  id: string,
  identity: WorkloadIdentity,
  node: Node__Output,
  workload: WorkloadRef,
  peer: string,
): Registration {
  return {
    id,
    identity: identity.id,
    namespace: identity.namespace,
    service: node.service,
    workload: node.workload,
    address: node.address !== '' ? node.address : peerAddress(peer),
    inboundListenerPort:
      node.inboundListenerPort > 0 ? node.inboundListenerPort : DEFAULT_INBOUND_LISTENER_PORT,
    ports: workload.inboundPorts.map((p) => ({
      port: p.port,
      protocol: p.protocol === 'detect' ? undefined : p.protocol,
    })),
    labels: workload.labels,
    ...(node.zone === '' ? {} : { zone: node.zone }),
  };
}

/** The IP of a grpc-js peer string ("ipv4:127.0.0.1:5000", "[::1]:5000", "127.0.0.1:5000"). */
export function peerAddress(peer: string): string {
  const text = peer.replace(/^ipv[46]:/, '');
  if (text.startsWith('[')) return text.slice(1, text.indexOf(']'));
  const colon = text.lastIndexOf(':');
  return colon < 0 ? text : text.slice(0, colon);
}

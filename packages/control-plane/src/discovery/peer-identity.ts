/** The proxy's identity: the SPIFFE ID of its verified client certificate, never a field of its messages. */
import type { PeerCertificate } from 'node:tls';

/** The part of a grpc-js server call that carries the TLS peer (every server call has it). */
export interface AuthenticatedCall {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate };
}

/** Returns the verified peer's SPIFFE ID, or undefined when it presented no (valid) certificate. */
export type PeerIdentity = (call: AuthenticatedCall) => string | undefined;

/** The namespace and service account of a workload SPIFFE ID. */
export interface WorkloadIdentity {
  readonly id: string;
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

const WORKLOAD_ID =
  /^spiffe:\/\/([a-z0-9.\-_]+)\/ns\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/sa\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

/** Parses `spiffe://<td>/ns/<ns>/sa/<sa>`; undefined for anything else. */
export function parseWorkloadId(id: string): WorkloadIdentity | undefined {
  const m = WORKLOAD_ID.exec(id);
  if (m === null) return undefined;
  return { id, trustDomain: m[1] as string, namespace: m[2] as string, serviceAccount: m[4] as string };
}

/**
 * The default PeerIdentity: the single URI SAN of the certificate that grpc-js verified
 * (server credentials that request client certificates put it in the auth context).
 */
export const certificateIdentity: PeerIdentity = (call) => {
  const cert = call.getAuthContext().sslPeerCertificate;
  const san = cert?.subjectaltname;
  if (san === undefined) return undefined;
  const uris = san
    .split(/,\s*/)
    .filter((s) => s.startsWith('URI:'))
    .map((s) => s.slice(4));
  return uris.length === 1 ? uris[0] : undefined;
};

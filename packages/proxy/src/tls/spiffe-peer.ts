/** Reads the SPIFFE ID (the one URI SAN) from a TLS peer certificate. */
import type { PeerCertificate, TLSSocket } from 'node:tls';

/** The SPIFFE ID in `cert`'s subjectAltName, or undefined when it has none (or more than one). */
export function spiffeIdOf(cert: Pick<PeerCertificate, 'subjectaltname'> | undefined): string | undefined {
  const san = cert?.subjectaltname;
  if (san === undefined || san === '') return undefined;
  let found: string | undefined;
  for (const part of san.split(', ')) {
    if (!part.startsWith('URI:')) continue;
    const uri = part.slice(4);
    if (!uri.startsWith('spiffe://')) continue;
    if (found !== undefined) return undefined;
    found = uri;
  }
  return found;
}

/** The verified peer identity of an authorized TLS socket, or undefined. */
export function peerIdentity(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  return spiffeIdOf(socket.getPeerCertificate(false));
}

/** Which certificate a TLS handshake gets on a gateway port: by SNI, exact listener hostname over wildcard, else the default. Pure. */
import type { CompiledCertificate, CompiledListener, CompiledPort } from './compiled.js';
import { hostMatchRank } from './hostnames.js';

function firstFitting(l: CompiledListener, host: string): CompiledCertificate | undefined {
  if (host !== '') for (const c of l.certificates) if (c.x509.checkHost(host) !== undefined) return c;
  return l.certificates[0];
}

/**
 * The certificate for `servername` ("" when the client sent no SNI): the listener whose
 * hostname matches best, and among its certificates the first whose names cover the server
 * name (else its first). Without SNI, or when no listener matches, the default: the listener
 * with no hostname, else the first HTTPS listener on the port.
 */
export function pickCertificate(port: CompiledPort, servername: string): CompiledCertificate | undefined {
  const host = servername.toLowerCase().replace(/\.$/, '');
  let best: CompiledListener | undefined;
  let bestRank = -1;
  if (host !== '') {
    for (const l of port.listeners) {
      const rank = hostMatchRank(l.hostname, host);
      if (rank > bestRank && l.certificates.length > 0) {
        best = l;
        bestRank = rank;
      }
    }
  }
  best ??= port.listeners.find((l) => l.hostname === '' && l.certificates.length > 0);
  best ??= port.listeners.find((l) => l.certificates.length > 0);
  return best === undefined ? undefined : firstFitting(best, host);
}

/**
 * The workload identity a proxy was issued: the namespace and service account in its SVID's URI
 * SAN. The proxy announces these on its discovery stream, so that no flag has to repeat what the
 * join token already decided.
 */
import { X509Certificate } from 'node:crypto';
import { parseSpiffeId } from '@weft/core';
import type { CertificateMaterial } from '../tls/certificate-source.js';

/** The identity in a certificate, by its parts. */
export interface IssuedIdentity {
  readonly spiffeId: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

const FIRST_PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * The workload identity of the leaf certificate in `material`, or undefined when there is no
 * certificate yet or its URI SAN is not a `spiffe://<td>/ns/<ns>/sa/<sa>` workload ID.
 */
export function issuedIdentity(material: CertificateMaterial | undefined): IssuedIdentity | undefined {
  const pem = material?.certChain.match(FIRST_PEM)?.[0];
  if (pem === undefined) return undefined;
  let sans: string | undefined;
  try {
    sans = new X509Certificate(pem).subjectAltName;
  } catch {
    return undefined;
  }
  const uris = (sans ?? '')
    .split(', ')
    .filter((s) => s.startsWith('URI:'))
    .map((s) => s.slice(4));
  // An X.509-SVID has exactly one URI SAN.
  if (uris.length !== 1) return undefined;
  const parsed = parseSpiffeId(uris[0] as string);
  if (parsed.type !== 'ok' || parsed.id.namespace === undefined || parsed.id.serviceAccount === undefined)
    return undefined;
  return {
    spiffeId: uris[0] as string,
    namespace: parsed.id.namespace,
    serviceAccount: parsed.id.serviceAccount,
  };
}

/**
 * Checks a TLS Secret's certificate chain and key before a listener serves them: both parse as
 * PEM and the key belongs to the leaf. node:crypto does the parsing (OpenSSL), as the gateway's
 * TLS stack will. The private key never appears in a result or message.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';

export type CertificateCheck =
  | { readonly type: 'ok' }
  | { readonly type: 'invalid'; readonly message: string };

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Validates PEM `chain` (leaf first) and PEM `key`; the message never quotes the key. */
export function checkCertificate(chain: string, key: string): CertificateCheck {
  const blocks = chain.match(PEM_CERT) ?? [];
  if (blocks.length === 0) return { type: 'invalid', message: 'tls.crt holds no PEM certificate' };
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(blocks[0] as string);
    for (const b of blocks.slice(1)) new X509Certificate(b);
  } catch {
    return { type: 'invalid', message: 'tls.crt is not a parsable PEM certificate chain' };
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    return { type: 'invalid', message: 'tls.key is not a parsable PEM private key' };
  }
  if (!leaf.checkPrivateKey(privateKey))
    return { type: 'invalid', message: 'tls.key does not match the certificate in tls.crt' };
  return { type: 'ok' };
}

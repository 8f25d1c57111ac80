/** The gateway configs for /debug/state: certificates by name and leaf fingerprint, never the key. */
import { createHash, X509Certificate } from 'node:crypto';
import type { GatewayConfig } from '@weft/api';

function fingerprint(chainPem: string): string {
  try {
    const leaf = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
    return leaf === undefined ? 'none' : new X509Certificate(leaf).fingerprint256;
  } catch {
    return `unparsable (sha256 ${createHash('sha256').update(chainPem).digest('hex').slice(0, 16)})`;
  }
}

/** A copy of `config` whose certificates carry no PEM: the private key is replaced by "[redacted]". */
export function redactGatewayConfig(config: GatewayConfig): unknown {
  return {
    listeners: (config.listeners ?? []).map((l) => ({
      ...l,
      certificates: (l.certificates ?? []).map((c) => ({
        name: c.name,
        leafSha256: fingerprint(c.certificateChainPem ?? ''),
        privateKeyPem: '[redacted]',
      })),
    })),
  };
}

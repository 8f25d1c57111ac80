/**
 * The identity read through the Kubernetes API from the Secrets install/identity builds:
 * weft-trust-anchor (ca.crt) and weft-issuer (tls.crt, tls.key, token.key). The mounted folder
 * follows a Secret only after the kubelet's sync (about a minute); reading the API brings a
 * rotation step into force within one `--identity-reload` period. Needs `get` on those two
 * Secrets (install/base/control-plane-rbac.yaml grants exactly that, by name).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { IdentityTexts } from '@weft/pki';
import type { IdentitySource } from '../identity/identity-reloader.js';
import { kubeRequest } from './kube-client.js';

/** The Secret names (install/identity/kustomization.yaml). */
export const IDENTITY_SECRETS = { anchor: 'weft-trust-anchor', issuer: 'weft-issuer' } as const;

interface SecretBody {
  data?: Record<string, string>;
}

/** An IdentitySource over the two Secrets in `namespace`. Each read is two GETs (10 s timeout). */
export function secretIdentitySource(options: { kubeConfig: KubeConfig; namespace: string }): IdentitySource {
  const { kubeConfig, namespace } = options;
  const get = async (name: string): Promise<Record<string, string>> => {
    const body = (await kubeRequest(kubeConfig, {
      method: 'GET',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${name}`,
      timeoutMs: 10_000,
    })) as SecretBody;
    return body.data ?? {};
  };
  const text = (data: Record<string, string>, key: string, secret: string): string => {
    const value = data[key];
    if (value === undefined) throw new Error(`Secret ${namespace}/${secret} has no ${key}`);
    return Buffer.from(value, 'base64').toString('utf8');
  };
  return {
    description: `Secrets ${namespace}/${IDENTITY_SECRETS.anchor} and ${namespace}/${IDENTITY_SECRETS.issuer}`,
    async read(): Promise<IdentityTexts> {
      const [anchor, issuer] = await Promise.all([
        get(IDENTITY_SECRETS.anchor),
        get(IDENTITY_SECRETS.issuer),
      ]);
      return {
        anchorsPem: text(anchor, 'ca.crt', IDENTITY_SECRETS.anchor),
        issuerCertPem: text(issuer, 'tls.crt', IDENTITY_SECRETS.issuer),
        issuerKeyPem: text(issuer, 'tls.key', IDENTITY_SECRETS.issuer),
        tokenKeyPem: text(issuer, 'token.key', IDENTITY_SECRETS.issuer),
      };
    },
  };
}

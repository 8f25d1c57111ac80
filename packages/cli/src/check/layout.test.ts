import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { findManifestsDir } from '../install/manifests-dir.js';
import { loadInstallLayout } from './layout.js';

const manifests = findManifestsDir() as string;

describe('loadInstallLayout', () => {
  const layout = loadInstallLayout(manifests);

  it('reads the names install/ uses', () => {
    expect(layout).toMatchObject({
      namespace: 'weft-system',
      controlPlane: {
        deployment: 'weft-control-plane',
        service: 'weft-control-plane',
        adminPort: 'admin-http',
      },
      injector: { deployment: 'weft-injector' },
      webhook: {
        configuration: 'weft-injector',
        webhook: 'inject.weft.dev',
        dnsName: 'weft-injector.weft-system.svc',
      },
      trustAnchor: { name: 'weft-trust-anchor', key: 'ca.crt' },
      issuer: { name: 'weft-issuer', key: 'tls.crt' },
      injectorTls: { name: 'weft-injector-tls', key: 'tls.crt' },
    });
  });

  it('expects every CRD in crds/ at every version it serves', () => {
    const fromFiles = [
      'trafficsplits.split.smi-spec.io',
      'trafficpolicies.weft.dev',
      'authorizationpolicies.weft.dev',
    ].map((name) => {
      const doc = parseAllDocuments(readFileSync(join(manifests, '..', 'crds', `${name}.yaml`), 'utf8'))[0];
      const crd = doc?.toJS() as { spec: { versions: { name: string; served: boolean }[] } };
      return { name, served: crd.spec.versions.filter((v) => v.served).map((v) => v.name) };
    });
    expect(layout.crds.map(({ name, served }) => ({ name, served }))).toEqual(fromFiles);
    expect(layout.crds[0]?.served).toEqual(['v1alpha1', 'v1alpha2', 'v1alpha3', 'v1alpha4']);
    expect(layout.crds.slice(1).map((c) => c.served)).toEqual([['v1alpha1'], ['v1alpha1']]);
  });

  it('lists the kinds a pre-install access review asks about', () => {
    const kinds = layout.kinds.map(
      (k) =>
        `${k.resource}${k.group === '' ? '' : `.${k.group}`}${k.namespace === undefined ? '' : `@${k.namespace}`}`,
    );
    expect(kinds).toEqual(
      expect.arrayContaining([
        'namespaces',
        'customresourcedefinitions.apiextensions.k8s.io',
        'clusterroles.rbac.authorization.k8s.io',
        'mutatingwebhookconfigurations.admissionregistration.k8s.io',
        'deployments.apps@weft-system',
        'poddisruptionbudgets.policy@weft-system',
        'secrets@weft-system',
      ]),
    );
  });
});

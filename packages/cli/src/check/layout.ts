/**
 * What `weft check` expects in a cluster, read from the install/ and crds/ manifests this weft
 * ships (the same files `weft install` renders), so the checks cannot drift from the install.
 */
import { join } from 'node:path';
import { readYamlObjects, renderKustomization } from '../install/kustomize.js';
import type { KubeObject } from '../install/objects.js';

/** One CRD weft installs: its name and the versions it serves. */
export interface ExpectedCrd {
  readonly name: string;
  readonly kind: string;
  readonly group: string;
  readonly served: readonly string[];
}

/** A resource kind the install creates (what a pre-install access review asks about). */
export interface InstalledKind {
  readonly group: string;
  readonly resource: string;
  /** Set for namespaced kinds. */
  readonly namespace?: string;
}

/** A Secret the install creates and the key holding its certificate (PEM). */
export interface SecretRef {
  readonly name: string;
  readonly key: string;
}

/** Names and versions of everything the checks look at. */
export interface InstallLayout {
  readonly namespace: string;
  readonly controlPlane: {
    readonly deployment: string;
    readonly service: string;
    readonly adminPort: string;
  };
  readonly injector: { readonly deployment: string };
  readonly webhook: { readonly configuration: string; readonly webhook: string; readonly dnsName: string };
  readonly crds: readonly ExpectedCrd[];
  readonly kinds: readonly InstalledKind[];
  readonly trustAnchor: SecretRef;
  readonly issuer: SecretRef;
  readonly injectorTls: SecretRef;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the weft manifests have no ${what}`);
  return value;
}

function one(objects: readonly KubeObject[], kind: string, component?: string): KubeObject {
  const found = objects.find(
    (o) =>
      o.kind === kind &&
      (component === undefined || obj(obj(o.metadata).labels)['app.kubernetes.io/component'] === component),
  );
  return need(found, `${kind}${component === undefined ? '' : ` for the ${component}`}`);
}

const nameOf = (o: KubeObject) => need(str(obj(o.metadata).name), `name on a ${String(o.kind)}`);

function plural(kind: string): string {
  const lower = kind.toLowerCase();
  return lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`;
}

/** The CRDs among `objects`, with their served versions. */
export function expectedCrds(objects: readonly KubeObject[]): ExpectedCrd[] {
  return objects
    .filter((o) => o.kind === 'CustomResourceDefinition')
    .map((o) => {
      const spec = obj(o.spec);
      return {
        name: nameOf(o),
        kind: need(str(obj(spec.names).kind), 'CRD kind'),
        group: need(str(spec.group), 'CRD group'),
        served: list(spec.versions)
          .map(obj)
          .filter((v) => v.served === true)
          .map((v) => need(str(v.name), 'CRD version name')),
      };
    });
}

/** The Secret named `name` in the identity kustomization and the key its certificate is under. */
function secretRef(generators: readonly Json[], name: string, certFile: string): SecretRef {
  const gen = need(
    generators.find((g) => g.name === name),
    `Secret ${name} in identity/kustomization.yaml`,
  );
  for (const file of list(gen.files).map(String)) {
    const [key, source] = file.includes('=') ? file.split('=', 2) : [file, file];
    if (source === certFile && key !== undefined) return { name, key };
  }
  throw new Error(`the weft manifests: Secret ${name} does not hold ${certFile}`);
}

/** Reads the layout from `manifestsDir` (the install/ folder; crds/ comes in through install/base). */
export function loadInstallLayout(manifestsDir: string): InstallLayout {
  const objects = renderKustomization(join(manifestsDir, 'base'));
  const namespace = nameOf(one(objects, 'Namespace'));
  const service = one(objects, 'Service', 'control-plane');
  const adminPort = list(obj(service.spec).ports)
    .map(obj)
    .find((p) => p.port === 7990 || p.name === 'admin-http');
  const webhookConfiguration = one(objects, 'MutatingWebhookConfiguration');
  const webhook = obj(list(webhookConfiguration.webhooks)[0]);
  const webhookService = obj(obj(webhook.clientConfig).service);
  const identity = obj(readYamlObjects(join(manifestsDir, 'identity', 'kustomization.yaml'))[0]);
  const generators = list(identity.secretGenerator).map(obj);
  const kinds = new Map<string, InstalledKind>();
  for (const o of objects) {
    const apiVersion = String(o.apiVersion);
    const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] as string) : '';
    const ns = str(obj(o.metadata).namespace);
    const kind: InstalledKind = {
      group,
      resource: plural(String(o.kind)),
      ...(ns === undefined ? {} : { namespace: ns }),
    };
    kinds.set(`${group}/${kind.resource}`, kind);
  }
  kinds.set('/secrets', { group: '', resource: 'secrets', namespace });
  return {
    namespace,
    controlPlane: {
      deployment: nameOf(one(objects, 'Deployment', 'control-plane')),
      service: nameOf(service),
      adminPort: need(str(adminPort?.name), "the control plane Service's admin port"),
    },
    injector: { deployment: nameOf(one(objects, 'Deployment', 'injector')) },
    webhook: {
      configuration: nameOf(webhookConfiguration),
      webhook: need(str(webhook.name), 'webhook name'),
      dnsName: `${need(str(webhookService.name), 'webhook service')}.${need(str(webhookService.namespace), 'webhook service namespace')}.svc`,
    },
    crds: expectedCrds(objects),
    kinds: [...kinds.values()],
    trustAnchor: secretRef(generators, 'weft-trust-anchor', 'ca.crt'),
    issuer: secretRef(generators, 'weft-issuer', 'issuer.crt'),
    injectorTls: secretRef(generators, 'weft-injector-tls', 'injector.crt'),
  };
}

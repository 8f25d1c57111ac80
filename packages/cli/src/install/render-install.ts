/**
 * The objects of a weft installation: the kustomization in install/ (or install/ha) rendered
 * with the identity Secrets filled in, plus the options kustomize users set by patching.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { meshConfigSchema, parseConfig } from '@weft/api';
import { parseDocument, stringify } from 'yaml';
import { IDENTITY_FILE_NAMES, type IdentityFiles, type IdentityIssuer, resolveIdentity } from './identity.js';
import {
  diskReader,
  type FileReader,
  KustomizeError,
  readYamlObjects,
  renderKustomization,
} from './kustomize.js';
import { type KubeObject, objectKey, sortForApply } from './objects.js';

/** What `weft install` was asked for. */
export interface InstallOptions {
  /** The install/ folder (holding kustomization.yaml, base/, identity/, ha/). */
  readonly manifestsDir: string;
  /** Render install/ha instead of install/. */
  readonly ha: boolean;
  /** Add install/addons/jaeger.yaml and point the mesh's tracing at it. */
  readonly jaeger: boolean;
  /** Read the CA from here (the layout `weft identity create-ca` writes) instead of generating it. */
  readonly identityDir?: string;
  /**
   * Add install/addons/network-policies.yaml (RBAC for NetworkPolicies) and run the control plane
   * with --manage-network-policies.
   */
  readonly manageNetworkPolicies?: boolean;
  /** Add install/addons/gateway.yaml: the ingress gateway, its Service, RBAC and GatewayClass. */
  readonly gateway?: boolean;
  /** The gateway Service's type (default LoadBalancer); only with `gateway`. */
  readonly gatewayServiceType?: GatewayServiceType;
  /** Overrides the webhook's failurePolicy (default: what the manifests say). */
  readonly webhookFailurePolicy?: 'Ignore' | 'Fail';
  /** Now, in ms since the epoch (default: the system clock). */
  readonly now?: number;
  /** Told about problems that do not stop the installation (default: ignored). */
  readonly warn?: (message: string) => void;
}

const MESH_CONFIG = { kind: 'ConfigMap', name: 'weft-mesh-config', key: 'config.yaml' } as const;
const WEBHOOK = { kind: 'MutatingWebhookConfiguration', name: 'weft-injector' } as const;
/** The OTLP/HTTP port the Jaeger addon's collector Service must expose. */
const OTLP_HTTP_PORT = 4318;

/** Renders the installation, sorted for `kubectl apply -f`. */
export function renderInstall(options: InstallOptions, issuer: IdentityIssuer): KubeObject[] {
  const root = resolve(options.manifestsDir);
  const kustomization = options.ha ? join(root, 'ha') : root;
  const identityDir = join(root, 'identity');

  // First pass with empty certificates: only to learn the trust domain from the mesh config.
  const placeholder = overlay(identityDir, undefined);
  const trustDomain = meshConfigOf(renderKustomization(kustomization, placeholder)).trustDomain;

  const identity = resolveIdentity({
    dir: options.identityDir,
    trustDomain,
    issuer,
    now: options.now ?? Date.now(),
    warn: options.warn ?? (() => {}),
  });
  const objects = renderKustomization(kustomization, overlay(identityDir, identity));

  if (options.webhookFailurePolicy !== undefined) {
    const webhook = find(objects, WEBHOOK.kind, WEBHOOK.name);
    for (const hook of (webhook.webhooks ?? []) as Record<string, unknown>[]) {
      hook.failurePolicy = options.webhookFailurePolicy;
    }
  }
  if (options.jaeger) objects.push(...addJaeger(root, objects));
  if (options.manageNetworkPolicies === true) objects.push(...addNetworkPolicies(root, objects));
  if (options.gateway === true) objects.push(...addGateway(root, options.gatewayServiceType));
  meshConfigOf(objects); // the final config must still parse
  const seen = new Set<string>();
  for (const o of objects) {
    if (seen.has(objectKey(o)))
      throw new KustomizeError(`${objectKey(o)} is defined twice (an addon repeats it?)`);
    seen.add(objectKey(o));
  }
  return sortForApply(objects);
}

/**
 * What an installation with `options` creates, as `apiVersion`/`kind`/`metadata` stubs in
 * reverse apply order (for `kubectl delete -f -`). No certificate is generated: the identity
 * Secrets are named, not filled.
 */
export function installedObjects(
  options: Omit<InstallOptions, 'identityDir' | 'now' | 'warn'>,
): KubeObject[] {
  const root = resolve(options.manifestsDir);
  const kustomization = options.ha ? join(root, 'ha') : root;
  const objects = renderKustomization(kustomization, overlay(join(root, 'identity'), undefined));
  if (options.jaeger) objects.push(...addJaeger(root, objects));
  if (options.manageNetworkPolicies === true) objects.push(...addNetworkPolicies(root, objects));
  if (options.gateway === true) objects.push(...addGateway(root, options.gatewayServiceType));
  return sortForApply(objects)
    .reverse()
    .map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      metadata: {
        name: o.metadata.name,
        ...(o.metadata.namespace === undefined ? {} : { namespace: o.metadata.namespace }),
      },
    }));
}

/** Serves the identity folder's files from memory (all empty when `files` is undefined). */
function overlay(identityDir: string, files: IdentityFiles | undefined): FileReader {
  return {
    read(path: string): Buffer {
      const name = basename(path);
      if (dirname(resolve(path)) !== identityDir || !IDENTITY_FILE_NAMES.includes(name))
        return diskReader.read(path);
      return files === undefined ? Buffer.alloc(0) : Buffer.from(files[name as keyof IdentityFiles]);
    },
  };
}

function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (found === undefined) throw new KustomizeError(`the manifests have no ${kind} ${name}`);
  return found;
}

function meshConfigOf(objects: readonly KubeObject[]) {
  const cm = find(objects, MESH_CONFIG.kind, MESH_CONFIG.name);
  const text = (cm.data as Record<string, string> | undefined)?.[MESH_CONFIG.key];
  if (text === undefined) throw new KustomizeError(`ConfigMap ${MESH_CONFIG.name} has no ${MESH_CONFIG.key}`);
  return parseConfig(
    meshConfigSchema,
    parseDocument(text).toJS(),
    `ConfigMap ${MESH_CONFIG.name} ${MESH_CONFIG.key}`,
  );
}

/** The control-plane Deployment's weft container, whose args get the flag. */
const CONTROL_PLANE = { kind: 'Deployment', name: 'weft-control-plane' } as const;
const MANAGE_FLAG = '--manage-network-policies';

/**
 * The NetworkPolicy RBAC addon's objects; the control plane's args get --manage-network-policies.
 */
function addNetworkPolicies(root: string, objects: KubeObject[]): KubeObject[] {
  const file = join(root, 'addons', 'network-policies.yaml');
  if (!existsSync(file)) {
    throw new KustomizeError(
      `the NetworkPolicy addon is not in this build (${file.split(sep).slice(-3).join('/')} is missing)`,
    );
  }
  const deployment = find(objects, CONTROL_PLANE.kind, CONTROL_PLANE.name);
  const spec = deployment.spec as
    | { template?: { spec?: { containers?: { args?: string[] }[] } } }
    | undefined;
  const containers = spec?.template?.spec?.containers ?? [];
  const container = containers.find((c) => (c.args ?? [])[0] === 'control-plane');
  if (container === undefined)
    throw new KustomizeError(`${CONTROL_PLANE.name} has no container running weft control-plane`);
  if (!(container.args ?? []).includes(MANAGE_FLAG))
    container.args = [...(container.args ?? []), MANAGE_FLAG];
  return readYamlObjects(file);
}

/** The types `weft install --gateway-service-type` accepts. */
export const GATEWAY_SERVICE_TYPES = ['LoadBalancer', 'NodePort', 'ClusterIP'] as const;
export type GatewayServiceType = (typeof GATEWAY_SERVICE_TYPES)[number];
const GATEWAY_SERVICE = { kind: 'Service', name: 'weft-gateway' } as const;

/**
 * The gateway addon's objects, its Service of `serviceType` (default: the file's, LoadBalancer).
 * externalTrafficPolicy keeps the client's address on NodePort and LoadBalancer Services only:
 * the API server refuses it on a ClusterIP Service, so it is dropped there.
 */
function addGateway(root: string, serviceType: GatewayServiceType | undefined): KubeObject[] {
  const file = join(root, 'addons', 'gateway.yaml');
  if (!existsSync(file)) {
    throw new KustomizeError(
      `the gateway addon is not in this build (${file.split(sep).slice(-3).join('/')} is missing)`,
    );
  }
  const addon = readYamlObjects(file);
  const service = find(addon, GATEWAY_SERVICE.kind, GATEWAY_SERVICE.name);
  const spec = service.spec as { type?: string; externalTrafficPolicy?: string };
  if (serviceType !== undefined) spec.type = serviceType;
  if (spec.type === 'ClusterIP') delete spec.externalTrafficPolicy;
  return addon;
}

/**
 * The Jaeger addon's objects; the mesh config's tracing endpoint is pointed at the addon's
 * Service that exposes OTLP/HTTP (4318), unless an endpoint is already set. The addon file's
 * own copy of the mesh config (for `kubectl apply -f`) is left out: the installed one is patched.
 */
function addJaeger(root: string, objects: KubeObject[]): KubeObject[] {
  const file = join(root, 'addons', 'jaeger.yaml');
  if (!existsSync(file)) {
    throw new KustomizeError(
      `the Jaeger addon is not in this build (${file.split(sep).slice(-3).join('/')} is missing)`,
    );
  }
  const addon = readYamlObjects(file);
  const collector = addon.find(
    (o) =>
      o.kind === 'Service' &&
      ((o.spec as { ports?: { port?: number }[] } | undefined)?.ports ?? []).some(
        (p) => p.port === OTLP_HTTP_PORT,
      ),
  );
  if (collector === undefined)
    throw new KustomizeError(`${file} has no Service exposing OTLP/HTTP on ${OTLP_HTTP_PORT}`);
  const endpoint = `http://${collector.metadata.name}.${collector.metadata.namespace ?? 'weft-system'}.svc:${OTLP_HTTP_PORT}`;
  const cm = find(objects, MESH_CONFIG.kind, MESH_CONFIG.name);
  const data = cm.data as Record<string, string>;
  const doc = parseDocument(data[MESH_CONFIG.key] ?? '');
  if (!doc.getIn(['tracing', 'endpoint'])) {
    doc.setIn(['tracing', 'endpoint'], endpoint);
    doc.setIn(['tracing', 'protocol'], 'http/protobuf');
    data[MESH_CONFIG.key] = doc.toString();
  }
  return addon.filter((o) => !(o.kind === MESH_CONFIG.kind && o.metadata.name === MESH_CONFIG.name));
}

/** One YAML stream, safe for YAML 1.1 parsers (kubectl): `on`, `yes`, `0755` and such are quoted. */
export function toYamlStream(objects: readonly KubeObject[], header: string): string {
  const docs = objects.map((o) =>
    stringify(o, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false }),
  );
  return `${header
    .split('\n')
    .map((l) => `# ${l}`.trimEnd())
    .join('\n')}\n---\n${docs.join('---\n')}`;
}

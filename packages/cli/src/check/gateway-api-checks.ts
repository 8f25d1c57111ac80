/**
 * The Gateway API CRDs are not weft's: the cluster's owner installs them (a release bundle of
 * kubernetes-sigs/gateway-api). `weft check` says whether they are there, at which bundle version
 * and channel, and whether weft can read them.
 */
import type { V1CustomResourceDefinition, V1Deployment } from '@kubernetes/client-node';
import { type ClusterContext, readCrd } from './cluster-checks.js';
import { deploymentCheck } from './control-plane-checks.js';
import { describeKubeError, isNotFound } from './kube-apis.js';
import { type Check, type CheckResult, fail, ok, warn } from './result.js';

/** The annotations every CRD of a Gateway API release carries. */
export const BUNDLE_VERSION_ANNOTATION = 'gateway.networking.k8s.io/bundle-version';
export const CHANNEL_ANNOTATION = 'gateway.networking.k8s.io/channel';

/**
 * The oldest bundle weft supports: v1.1 is the first whose standard channel serves GRPCRoute at
 * v1 (GatewayClass, Gateway and HTTPRoute are v1 since v1.0).
 */
export const MIN_GATEWAY_API = { major: 1, minor: 1 } as const;

/** The CRDs the control plane reads, and the version of each it reads. */
export const GATEWAY_API_CRDS: readonly {
  readonly kind: string;
  readonly name: string;
  readonly version: string;
}[] = [
  { kind: 'GatewayClass', name: 'gatewayclasses.gateway.networking.k8s.io', version: 'v1' },
  { kind: 'Gateway', name: 'gateways.gateway.networking.k8s.io', version: 'v1' },
  { kind: 'HTTPRoute', name: 'httproutes.gateway.networking.k8s.io', version: 'v1' },
  { kind: 'GRPCRoute', name: 'grpcroutes.gateway.networking.k8s.io', version: 'v1' },
  { kind: 'ReferenceGrant', name: 'referencegrants.gateway.networking.k8s.io', version: 'v1beta1' },
];

export const GATEWAY_API_CHECK_NAME = `Gateway API CRDs are installed (v${MIN_GATEWAY_API.major}.${MIN_GATEWAY_API.minor} or newer)`;

/** The bundle weft's tests apply to a real API server. */
export const TESTED_GATEWAY_API = 'v1.6.1';

const INSTALL_HINT =
  `install the standard channel of a Gateway API release (v${MIN_GATEWAY_API.major}.${MIN_GATEWAY_API.minor} or newer; tested with ${TESTED_GATEWAY_API}):\n` +
  `kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/${TESTED_GATEWAY_API}/standard-install.yaml`;

/** `v1.6.1` -> {major 1, minor 6, patch 1}; undefined for anything else. */
export function parseBundleVersion(
  text: string,
): { major: number; minor: number; patch: number } | undefined {
  const m = /^v(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$/.exec(text);
  return m === null ? undefined : { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/**
 * Pure: judges the Gateway API CRDs found (`undefined` for one that is absent). `gatewayInstalled`
 * (weft's gateway Deployment exists) turns "not installed" from a warning into a failure: the
 * gateway then has nothing to serve.
 */
export function gatewayApiCheck(
  found: ReadonlyMap<string, V1CustomResourceDefinition | undefined>,
  gatewayInstalled: boolean,
): CheckResult {
  const name = GATEWAY_API_CHECK_NAME;
  const present = GATEWAY_API_CRDS.filter((c) => found.get(c.name) !== undefined);
  if (present.length === 0) {
    const why = gatewayInstalled
      ? "weft's gateway is installed (Deployment weft-gateway) but has no Gateway API to read"
      : 'Gateways, HTTPRoutes and GRPCRoutes cannot be used (Ingress v1 and weft itself work without them)';
    return (gatewayInstalled ? fail : warn)(
      name,
      `none of the Gateway API CRDs is installed: ${why};\n${INSTALL_HINT}`,
    );
  }
  const problems: string[] = [];
  const missing = GATEWAY_API_CRDS.filter((c) => found.get(c.name) === undefined).map((c) => c.kind);
  if (missing.length > 0) problems.push(`missing: ${missing.join(', ')}`);
  for (const c of present) {
    const crd = found.get(c.name) as V1CustomResourceDefinition;
    const served = (crd.spec?.versions ?? []).filter((v) => v.served).map((v) => v.name);
    if (!served.includes(c.version))
      problems.push(`${c.kind} does not serve ${c.version} (it serves ${served.join(', ') || 'nothing'})`);
    const established = crd.status?.conditions?.find((x) => x.type === 'Established');
    if (established !== undefined && established.status !== 'True')
      problems.push(`${c.kind} is not Established`);
  }
  const versions = new Set(
    present.map((c) => found.get(c.name)?.metadata?.annotations?.[BUNDLE_VERSION_ANNOTATION]),
  );
  const channels = new Set(
    present.map((c) => found.get(c.name)?.metadata?.annotations?.[CHANNEL_ANNOTATION]),
  );
  const version = versions.size === 1 ? [...versions][0] : undefined;
  const channel = channels.size === 1 ? [...channels][0] : undefined;
  if (versions.size > 1) {
    problems.push(
      `the CRDs come from different bundles (${[...versions].map((v) => v ?? 'unannotated').join(', ')})`,
    );
  } else if (version === undefined) {
    problems.push(`the CRDs carry no ${BUNDLE_VERSION_ANNOTATION} annotation, so their release is unknown`);
  } else {
    const parsed = parseBundleVersion(version);
    if (parsed === undefined) problems.push(`unreadable bundle version "${version}"`);
    else if (
      parsed.major < MIN_GATEWAY_API.major ||
      (parsed.major === MIN_GATEWAY_API.major && parsed.minor < MIN_GATEWAY_API.minor)
    )
      problems.push(`bundle ${version} is older than v${MIN_GATEWAY_API.major}.${MIN_GATEWAY_API.minor}`);
    else if (parsed.major > MIN_GATEWAY_API.major)
      problems.push(`bundle ${version} is a major version weft has not been tested with (it reads v1)`);
  }
  if (channels.size > 1) problems.push(`the CRDs come from different channels (${[...channels].join(', ')})`);
  const detail = `${version ?? 'unknown version'}, ${channel ?? 'unknown'} channel`;
  if (problems.length === 0) return ok(name, detail);
  return warn(name, `${problems.join('; ')};\n${INSTALL_HINT}`, detail);
}

/** The Deployment `weft install --gateway` creates. */
export const GATEWAY_DEPLOYMENT = 'weft-gateway';
export const GATEWAY_DEPLOYMENT_CHECK_NAME = 'gateway Deployment is available';

/** weft's gateway Deployment, or undefined when the gateway is not installed. */
async function gatewayDeployment(ctx: ClusterContext): Promise<V1Deployment | undefined> {
  try {
    return await ctx.apis.apps.readNamespacedDeployment({
      name: GATEWAY_DEPLOYMENT,
      namespace: ctx.layout.namespace,
    });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new Error(`reading Deployment ${GATEWAY_DEPLOYMENT}: ${describeKubeError(err)}`, { cause: err });
  }
}

/**
 * Reads the five CRDs and judges them; after installation, when weft's gateway is installed, also
 * whether its Deployment has an available replica.
 */
export function gatewayApiCrdCheck(ctx: ClusterContext, options: { pre: boolean }): Check {
  return {
    name: GATEWAY_API_CHECK_NAME,
    async run() {
      const found = new Map<string, V1CustomResourceDefinition | undefined>();
      for (const c of GATEWAY_API_CRDS) found.set(c.name, await readCrd(ctx, c.name));
      const deployment = options.pre ? undefined : await gatewayDeployment(ctx);
      const crds = gatewayApiCheck(found, deployment !== undefined);
      return deployment === undefined
        ? crds
        : [crds, deploymentCheck(GATEWAY_DEPLOYMENT_CHECK_NAME, deployment)];
    },
  };
}

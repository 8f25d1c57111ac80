/** Checks of the cluster itself: the API server, its version, weft's CRDs, and pre-install access. */
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { describeKubeError, isNotFound, type KubeApis } from './kube-apis.js';
import type { ExpectedCrd, InstallLayout } from './layout.js';
import { type Check, type CheckResult, fail, ok, warn } from './result.js';

/** The oldest Kubernetes weft supports: the proxy is injected as a native sidecar (1.29+). */
export const MIN_KUBERNETES = { major: 1, minor: 29 } as const;

/** What the checks of a cluster share. */
export interface ClusterContext {
  readonly apis: KubeApis;
  readonly layout: InstallLayout;
  /** The current time (ms), for certificate expiry. */
  readonly now: number;
}

const INSTALL_HINT = 'install weft with: weft install | kubectl apply -f -';

/** `1`, `29+` (GKE, EKS) -> numbers; undefined when not a number. */
function versionNumber(text: string | undefined): number | undefined {
  const match = /^(\d+)/.exec(text ?? '');
  return match === null ? undefined : Number(match[1]);
}

/** Pure: judges the API server's reported version. */
export function versionCheck(info: { major?: string; minor?: string; gitVersion?: string }): CheckResult {
  const name = `Kubernetes version is ${MIN_KUBERNETES.major}.${MIN_KUBERNETES.minor} or newer`;
  const major = versionNumber(info.major);
  const minor = versionNumber(info.minor);
  if (major === undefined || minor === undefined) {
    return warn(name, `the API server reports an unreadable version (${JSON.stringify(info)})`);
  }
  const old =
    major < MIN_KUBERNETES.major || (major === MIN_KUBERNETES.major && minor < MIN_KUBERNETES.minor);
  return old
    ? fail(
        name,
        `the cluster runs ${info.gitVersion ?? `${major}.${minor}`}; weft injects its proxy as a native sidecar, which needs 1.29`,
      )
    : ok(name, info.gitVersion ?? `${major}.${minor}`);
}

/** The API server answers `GET /version` (and its version is new enough). */
export function apiChecks(ctx: ClusterContext): Check {
  return {
    name: 'Kubernetes API is reachable',
    async run() {
      let info: Awaited<ReturnType<KubeApis['version']['getCode']>>;
      try {
        info = await ctx.apis.version.getCode();
      } catch (err) {
        return fail(
          'Kubernetes API is reachable',
          `${ctx.apis.server}: ${describeKubeError(err)}\ncheck the kubeconfig (--kubeconfig, KUBECONFIG, --context) and that the cluster is up`,
        );
      }
      return [ok('Kubernetes API is reachable', ctx.apis.server), versionCheck(info)];
    },
  };
}

/** Pure: does the cluster's CRD serve every version weft's CRD serves, and is it established? */
export function crdCheck(expected: ExpectedCrd, actual: V1CustomResourceDefinition | undefined): CheckResult {
  const name = `CRD ${expected.name} serves ${expected.served.join(', ')}`;
  if (actual === undefined) return fail(name, `the CRD is not installed; ${INSTALL_HINT}`);
  const served = (actual.spec?.versions ?? []).filter((v) => v.served).map((v) => v.name);
  const missing = expected.served.filter((v) => !served.includes(v));
  if (missing.length > 0) {
    return fail(
      name,
      `the installed CRD does not serve ${missing.join(', ')} (it serves ${served.join(', ') || 'nothing'}); ` +
        `re-apply weft's CRDs: weft install | kubectl apply -f -`,
    );
  }
  const established = actual.status?.conditions?.find((c) => c.type === 'Established');
  if (established?.status !== 'True') {
    return fail(
      name,
      `the CRD is not Established yet${established?.message ? `: ${established.message}` : ''}`,
    );
  }
  return ok(name);
}

/** A CRD by name; undefined when it is not installed. Throws naming the CRD on any other error. */
export async function readCrd(
  ctx: ClusterContext,
  name: string,
): Promise<V1CustomResourceDefinition | undefined> {
  try {
    return await ctx.apis.extensions.readCustomResourceDefinition({ name });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new Error(`reading CRD ${name}: ${describeKubeError(err)}`, { cause: err });
  }
}

/** One check per CRD weft installs. */
export function crdChecks(ctx: ClusterContext): Check[] {
  return ctx.layout.crds.map((expected) => ({
    name: `CRD ${expected.name} serves ${expected.served.join(', ')}`,
    run: async () => crdCheck(expected, await readCrd(ctx, expected.name)),
  }));
}

/** Pre-install: the control plane namespace is not there yet. */
export function namespaceAbsentCheck(ctx: ClusterContext): Check {
  const name = `namespace ${ctx.layout.namespace} does not exist yet`;
  return {
    name,
    async run() {
      try {
        await ctx.apis.core.readNamespace({ name: ctx.layout.namespace });
      } catch (err) {
        if (isNotFound(err)) return ok(name);
        throw new Error(describeKubeError(err), { cause: err });
      }
      return warn(
        name,
        'weft may already be installed: run "weft check" without --pre to check the installation',
      );
    },
  };
}

/** Pre-install: existing CRDs of the same names belong to weft (another mesh's SMI CRD would be replaced). */
export function crdConflictCheck(ctx: ClusterContext): Check {
  const name = "no other project's CRDs would be replaced";
  return {
    name,
    async run() {
      const foreign: string[] = [];
      for (const expected of ctx.layout.crds) {
        const crd = await readCrd(ctx, expected.name);
        if (crd !== undefined && crd.metadata?.labels?.['app.kubernetes.io/part-of'] !== 'weft')
          foreign.push(expected.name);
      }
      return foreign.length === 0
        ? ok(name)
        : warn(
            name,
            `installing weft replaces ${foreign.join(', ')} (installed by another project, e.g. a mesh's SMI extension)`,
          );
    },
  };
}

/** Pre-install: a SelfSubjectAccessReview per kind weft creates. */
export function accessCheck(ctx: ClusterContext): Check {
  const name = "can create weft's resources";
  return {
    name,
    async run() {
      const denied: string[] = [];
      for (const kind of ctx.layout.kinds) {
        const review = await ctx.apis.authorization.createSelfSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: { resourceAttributes: { verb: 'create', ...kind } },
          },
        });
        if (review.status?.allowed !== true) {
          denied.push(
            `${kind.resource}${kind.group === '' ? '' : `.${kind.group}`}${kind.namespace === undefined ? '' : ` in ${kind.namespace}`}`,
          );
        }
      }
      return denied.length === 0
        ? ok(name, `${ctx.layout.kinds.length} kinds`)
        : fail(
            name,
            `not allowed to create ${denied.join(', ')}; installing weft needs cluster-admin rights`,
          );
    },
  };
}

/**
 * Which mesh Service names a DNS question can mean: a name under the cluster domain shaped like a
 * Service (`name.ns.svc.<cluster-domain>`), or a short name (`name`, `name.ns`, `name.ns.svc`)
 * expanded through the search path, the way the pod's own resolver would. Pure.
 */

/** How the proxy's DNS sees the cluster. */
export interface MeshNaming {
  /** e.g. `cluster.local`, lower case, no trailing dot. */
  readonly clusterDomain: string;
  /** Search domains in order (the pod's resolv.conf, or `<ns>.svc.<cd> svc.<cd> <cd>`). */
  readonly search: readonly string[];
  /** Names with fewer dots than this are tried with the search domains (resolv.conf ndots). */
  readonly ndots: number;
}

/** What to do with a question name. */
export type NameClass =
  /** Under the cluster domain and shaped like a Service: the mesh answers, NXDOMAIN if unknown. */
  | { readonly type: 'service'; readonly fqdn: string }
  /** A short name: each candidate Service FQDN in search order; forwarded when none exists. */
  | { readonly type: 'expand'; readonly candidates: readonly string[] }
  /** Anything else (public names, pod and SRV names under the cluster domain): forwarded. */
  | { readonly type: 'forward' };

const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The default search path of a pod in `namespace` (what kubelet writes). */
export function defaultSearch(namespace: string, clusterDomain: string): string[] {
  return [`${namespace}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain];
}

/** Lower case without the trailing dot (DNS names compare case-insensitively). */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** True when `fqdn` is exactly `name.namespace.svc.<clusterDomain>` with valid labels. */
export function isServiceFqdn(fqdn: string, clusterDomain: string): boolean {
  const suffix = `.svc.${clusterDomain}`;
  if (!fqdn.endsWith(suffix)) return false;
  const labels = fqdn.slice(0, -suffix.length).split('.');
  return labels.length === 2 && LABEL.test(labels[0]!) && LABEL.test(labels[1]!);
}

/** Classifies a question name (already normalized). */
export function classifyName(name: string, naming: MeshNaming): NameClass {
  const cd = naming.clusterDomain;
  if (name === cd || name.endsWith(`.${cd}`)) {
    return isServiceFqdn(name, cd) ? { type: 'service', fqdn: name } : { type: 'forward' };
  }
  if (name === '' || dots(name) >= naming.ndots) return { type: 'forward' };
  const candidates: string[] = [];
  for (const domain of naming.search) {
    const fqdn = `${name}.${domain}`;
    if (isServiceFqdn(fqdn, cd) && !candidates.includes(fqdn)) candidates.push(fqdn);
  }
  return candidates.length === 0 ? { type: 'forward' } : { type: 'expand', candidates };
}

function dots(name: string): number {
  let n = 0;
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) === 46) n++;
  return n;
}

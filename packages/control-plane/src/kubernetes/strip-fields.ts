/**
 * Drops the fields of watched objects the mesh model never reads, before the informer caches
 * them: client-node 1.x's ListWatch has no transform hook, so the list function and the watch
 * callback strip each object on its way in. The informer cache and the model then share the
 * small copy. What is kept is what @weft/api's schemas read (and creationTimestamp, which orders
 * conflicting routes); everything else — managedFields, ownerReferences, the kubectl
 * last-applied annotation, container images, env, volumes, probes, EndpointSlice hints — goes.
 * Measured by `npm run bench:informer-memory` (docs/operations.md, "Informer memory"). Pure.
 */

type Obj = Record<string, unknown>;

/** The annotation `kubectl apply` writes: a full copy of the object, never read by weft. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

const METADATA_KEPT = [
  'name',
  'namespace',
  'labels',
  'annotations',
  'resourceVersion',
  'generation',
  'uid',
  'creationTimestamp',
  'deletionTimestamp',
] as const;

/** Returns the object with only what weft reads; objects of unknown shape pass through untouched. */
export function stripUnusedFields(kind: string, object: Obj): Obj {
  const out: Obj = { ...object };
  if (isObj(object.metadata)) out.metadata = stripMetadata(object.metadata);
  switch (kind) {
    case 'Pod':
      if (isObj(object.spec)) out.spec = stripPodSpec(object.spec);
      if (isObj(object.status)) out.status = pick(object.status, ['phase', 'podIP', 'podIPs']);
      break;
    case 'Service':
      if (isObj(object.spec))
        out.spec = pick(object.spec, ['type', 'clusterIP', 'clusterIPs', 'selector', 'ports']);
      delete out.status;
      // A load balancer's addresses (the gateway Service's, reported in Gateway status).
      if (isObj(object.status) && isObj(object.status.loadBalancer)) {
        const ingress = object.status.loadBalancer.ingress;
        if (Array.isArray(ingress) && ingress.length > 0)
          out.status = {
            loadBalancer: {
              ingress: ingress.map((i: unknown) => (isObj(i) ? pick(i, ['ip', 'hostname']) : i)),
            },
          };
      }
      break;
    case 'EndpointSlice':
      if (Array.isArray(object.endpoints)) out.endpoints = object.endpoints.map(stripEndpoint);
      break;
    case 'Namespace':
      delete out.spec;
      delete out.status;
      break;
    case 'Secret':
      // Only a TLS Secret's certificate and key are read (its other keys, e.g. ca.crt, are not).
      if (isObj(object.data)) out.data = pick(object.data, ['tls.crt', 'tls.key']);
      delete out.stringData;
      break;
    case 'Ingress':
    case 'GatewayClass':
    case 'Gateway':
    case 'GRPCRoute':
    case 'ReferenceGrant':
      // Their status is written by weft (read fresh before every write) or by others.
      delete out.status;
      break;
    default:
      // Custom resources: spec and status are all weft's (or the route's) business; keep them.
      break;
  }
  return out;
}

function stripMetadata(meta: Obj): Obj {
  const out = pick(meta, METADATA_KEPT);
  if (isObj(meta.annotations) && LAST_APPLIED in meta.annotations) {
    const { [LAST_APPLIED]: _dropped, ...rest } = meta.annotations;
    out.annotations = rest;
  }
  return out;
}

function stripPodSpec(spec: Obj): Obj {
  const out = pick(spec, ['serviceAccountName', 'nodeName']);
  if (Array.isArray(spec.containers))
    out.containers = spec.containers.map((c: unknown) => (isObj(c) ? pick(c, ['name', 'ports']) : c));
  if (Array.isArray(spec.initContainers))
    out.initContainers = spec.initContainers.map((c: unknown) =>
      isObj(c) ? pick(c, ['name', 'restartPolicy']) : c,
    );
  return out;
}

function stripEndpoint(ep: unknown): unknown {
  if (!isObj(ep)) return ep;
  const out = pick(ep, ['addresses', 'conditions', 'zone', 'nodeName']);
  if (isObj(ep.targetRef)) out.targetRef = pick(ep.targetRef, ['kind', 'name', 'namespace']);
  return out;
}

function pick(source: Obj, keys: readonly string[]): Obj {
  const out: Obj = {};
  for (const k of keys) if (source[k] !== undefined) out[k] = source[k];
  return out;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

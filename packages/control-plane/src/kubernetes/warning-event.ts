/**
 * A Warning Event on a resource weft cannot use as written (a rejected resource, an Ingress
 * problem). Kubernetes mode only; the callers write it only on the leader.
 */
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { formatRef, type Origin, type ResourceRef } from '../sources/config-source.js';
import { KubeApiError, kubeRequest } from './kube-client.js';

export interface WarningEvent {
  readonly ref: ResourceRef;
  readonly origin: Origin;
  readonly reason: string;
  /** Cut to 1024 characters. */
  readonly message: string;
  /** The component named in the Event; default "weft-control-plane". */
  readonly component?: string | undefined;
  /** RFC 3339, seconds. */
  readonly now: string;
}

/** Posts the Event (namespaced resources only); an Event another replica already wrote is not an error. */
export async function postWarningEvent(kubeConfig: KubeConfig, e: WarningEvent): Promise<void> {
  const { ref, origin } = e;
  if (ref.namespace === '') return;
  // A name derived from the object version and the problem: a second replica writing the
  // same Event gets 409 AlreadyExists, so replicas do not duplicate Events.
  const digest = createHash('sha256')
    .update(`${origin.uid ?? formatRef(ref)}\n${origin.resourceVersion ?? ''}\n${e.reason}\n${e.message}`)
    .digest('hex')
    .slice(0, 16);
  const component = e.component ?? 'weft-control-plane';
  try {
    await kubeRequest(kubeConfig, {
      method: 'POST',
      path: `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/events`,
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${ref.name}.${digest}`, namespace: ref.namespace },
        involvedObject: {
          apiVersion: origin.apiVersion,
          kind: ref.kind,
          name: ref.name,
          namespace: ref.namespace,
          ...(origin.uid === undefined ? {} : { uid: origin.uid }),
          ...(origin.resourceVersion === undefined ? {} : { resourceVersion: origin.resourceVersion }),
        },
        type: 'Warning',
        reason: e.reason,
        message: e.message.slice(0, 1024),
        source: { component },
        reportingComponent: component,
        firstTimestamp: e.now,
        lastTimestamp: e.now,
        count: 1,
      },
    });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.statusCode === 409)) throw err;
  }
}

/** Which services a split, route or policy attaches to (its apex) and which it sends traffic to (its backends). */
import type { ParsedResource } from './resource-parse.js';
import { splitServiceName } from './routing.js';

/** Service keys ("ns/name") a resource attaches to and routes to. */
export interface Attachments {
  readonly apexes: readonly string[];
  readonly backends: readonly string[];
}

const NONE: Attachments = { apexes: [], backends: [] };

/** The services a resource attaches to (apexes) and references as backends. */
export function attachmentsOf(parsed: ParsedResource): Attachments {
  switch (parsed.kind) {
    case 'TrafficSplit': {
      const ns = parsed.value.metadata.namespace ?? 'default';
      return {
        apexes: [`${ns}/${splitServiceName(parsed.value.spec.service, ns)}`],
        backends: parsed.value.spec.backends.map((b) => `${ns}/${splitServiceName(b.service, ns)}`),
      };
    }
    case 'HTTPRoute': {
      const ns = parsed.value.metadata.namespace ?? 'default';
      return {
        apexes: parsed.value.spec.parentRefs
          .filter(
            (p) => p.kind === 'Service' && (p.group === undefined || p.group === '' || p.group === 'core'),
          )
          .map((p) => `${p.namespace ?? ns}/${p.name}`),
        backends: parsed.value.spec.rules.flatMap((r) =>
          (r.backendRefs ?? []).map((b) => `${b.namespace ?? ns}/${b.name}`),
        ),
      };
    }
    case 'TrafficPolicy':
    case 'AuthorizationPolicy': {
      const ns = parsed.value.metadata.namespace ?? 'default';
      return { apexes: [`${ns}/${parsed.value.spec.targetRef.name}`], backends: [] };
    }
    case 'StaticEndpoints': {
      const ns = parsed.value.metadata.namespace ?? 'default';
      return { apexes: [`${ns}/${parsed.value.spec.service}`], backends: [] };
    }
    default:
      return NONE;
  }
}

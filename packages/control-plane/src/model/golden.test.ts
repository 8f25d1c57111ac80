/**
 * Golden tests: manifests in, wire resources out. Run with UPDATE_GOLDEN=1 to rewrite the
 * expected files after a deliberate change (then review the diff).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SourceEvent } from '../sources/config-source.js';
import { parseManifestText } from '../sources/manifest-file.js';
import type { WorkloadRef } from './inbound.js';
import { MeshState } from './mesh-state.js';
import { ResourceBuilder } from './resource-builder.js';
import { refOf } from './resource-parse.js';

interface Case {
  readonly subscriptions: readonly { readonly name: string; readonly namespace: string }[];
  readonly inbound?: WorkloadRef;
}

const CASES: Record<string, Case> = {
  'trafficsplit-v1alpha2-flagger': {
    subscriptions: [
      { name: 'podinfo.test.svc.cluster.local:9898', namespace: 'frontend' },
      { name: '10.96.10.1:9898', namespace: 'frontend' },
    ],
  },
  'trafficsplit-v1alpha4-flagger': { subscriptions: [{ name: 'podinfo:9898', namespace: 'test' }] },
  'trafficsplit-v1alpha1-quantities': { subscriptions: [{ name: 'web:80', namespace: 'shop' }] },
  'httproute-weighted': { subscriptions: [{ name: 'reviews.bookinfo:9080', namespace: 'productpage' }] },
  'trafficpolicy-retries': {
    subscriptions: [
      { name: 'api:80', namespace: 'shop' },
      { name: 'api:9000', namespace: 'shop' },
    ],
  },
  authorizationpolicy: {
    subscriptions: [],
    inbound: {
      namespace: 'shop',
      workload: 'api-0',
      labels: {},
      inboundPorts: [{ port: 8080, protocol: 'http' }],
    },
  },
};

function load(name: string): MeshState {
  const file = new URL(`./golden/${name}.yaml`, import.meta.url);
  const parsed = parseManifestText(readFileSync(file, 'utf8'));
  if (parsed.type !== 'ok') throw new Error(`${name}: ${parsed.message}`);
  const events: SourceEvent[] = parsed.documents.map((d) => {
    const r = refOf(d.object, 'default');
    if (r.type !== 'ref') throw new Error(`${name}:${d.line}: ${JSON.stringify(r)}`);
    return {
      type: 'upsert',
      ref: r.ref,
      object: d.object,
      origin: { source: 'folder', file: `${name}.yaml`, line: d.line },
    };
  });
  const state = new MeshState();
  state.apply(events);
  return state;
}

describe('golden: manifests in, resources out', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(name, () => {
      const state = load(name);
      const builder = new ResourceBuilder(state);
      const out: Record<string, unknown> = {};
      const destinations: Record<string, unknown> = {};
      for (const sub of c.subscriptions) {
        const r = builder.resolve(sub.name, sub.namespace);
        destinations[sub.name] =
          r.type === 'not-found'
            ? { doesNotExist: r.reason }
            : builder.destination(r.namespace, r.service, r.port);
      }
      if (c.subscriptions.length > 0) out.destinations = destinations;
      if (c.inbound !== undefined) out.inbound = builder.inbound(c.inbound).message;
      out.conditions = state
        .allConditions()
        .map((x) => ({ resource: `${x.ref.kind} ${x.ref.namespace}/${x.ref.name}`, ...x.condition }));
      const golden = new URL(`./golden/${name}.golden.json`, import.meta.url);
      const text = `${JSON.stringify(out, null, 2)}\n`;
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) {
        if (process.env.UPDATE_GOLDEN !== '1')
          throw new Error(`missing ${golden.pathname}; run with UPDATE_GOLDEN=1`);
        writeFileSync(golden, text);
      }
      expect(text).toBe(readFileSync(golden, 'utf8'));
    });
  }
});

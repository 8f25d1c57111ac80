// Fuzz target: discovery-config validation, fed DiscoveryResponse messages decoded from the bytes
// exactly as the proxy's gRPC stream decodes them (proto-loader, the same loader options).
//
// Invariants: applying a response returns ack | nack (with a reason) and never throws; a NACK changes
// nothing; what was ACKed is usable by the code that reads it later — destinations compile and route
// requests, the inbound policy answers authorization decisions, and /config can serialize the state.
import { loadDiscoveryProto } from '../../../packages/api/dist/index.js';
import { planDestination, seededRandom } from '../../../packages/core/dist/index.js';
import { decideAuthz } from '../../../packages/proxy/dist/authz/decide.js';
import { DiscoveryState } from '../../../packages/proxy/dist/discovery/state.js';
import { check } from './invariant.mjs';

export const meta = {
  description: 'discovery response -> validate -> apply (ack | nack) -> use',
  sync: true,
  includes: [
    'packages/proxy/dist/discovery/',
    'packages/proxy/dist/authz/',
    'packages/proxy/dist/telemetry/tracing-config',
    'packages/core/dist/traffic/',
    'packages/core/dist/routing/',
    'packages/core/dist/retry/',
    'packages/core/dist/split/',
  ],
};

const stream = loadDiscoveryProto().weft.discovery.v1alpha1.Discovery.service.Stream;
const REQUESTS = [
  { method: 'GET', path: '/', header: () => undefined },
  { method: 'POST', path: '/api/v1/items?x=1', header: (n) => (n === 'x-canary' ? 'true' : undefined) },
];
const SUBJECTS = [
  { identity: undefined, port: 8080, method: 'GET', path: '/admin' },
  { identity: 'spiffe://cluster.local/ns/shop/sa/web', port: 80, method: 'POST', path: '/v1/x' },
];

function decode(data) {
  try {
    return stream.responseDeserialize(data);
  } catch {
    return undefined; // not a protobuf message: the gRPC layer drops the stream, nothing is applied
  }
}

export function fuzz(data) {
  const response = decode(data);
  if (response === undefined) return;
  const state = new DiscoveryState();
  const before = JSON.stringify(state.snapshot());
  const result = state.apply(response);
  check(result.type === 'ack' || result.type === 'nack', () => `apply returned ${JSON.stringify(result)}`);
  if (result.type === 'nack') {
    check(typeof result.reason === 'string' && result.reason !== '', 'NACK without a reason');
    check(JSON.stringify(state.snapshot()) === before, 'a NACKed response changed the state');
    return;
  }
  const snapshot = state.snapshot();
  // /config serializes the snapshot: it must not throw (cycles, BigInt) nor come out empty.
  check(typeof JSON.stringify(snapshot) === 'string', '/config snapshot does not serialize');
  const random = seededRandom(data.length);
  for (const resolution of Object.values(snapshot.destinations)) {
    if (resolution.type !== 'destination') continue;
    const plan = planDestination(resolution.destination);
    for (const request of REQUESTS) {
      const selection = plan.select(request, random);
      check(['selected', 'no-route', 'no-backend'].includes(selection.type), 'unknown selection');
    }
  }
  for (const subject of SUBJECTS) {
    const decision = decideAuthz(snapshot.inboundPolicy, subject);
    check(decision.type === 'allow' || decision.type === 'deny', 'unknown authorization decision');
  }
}

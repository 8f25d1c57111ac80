/**
 * @weft/proxy/testing: helpers for tests in other packages and in test/ (a mesh of two sidecars,
 * a test CA, a recording app, a scriptable DNS resolver) and the few proxy internals those tests
 * read. Resolved from source (the `weft-source` condition) by vitest; never part of dist.
 */

// The DNS test resolver lives in src/ (compiled): test/bench/dns runs it from dist.
export { askDns, startTestResolver, type TestResolver } from '../src/dns/test-resolver.js';
// Server certificates (ECDSA P-256, with SANs) for the gateway's TLS listeners.
export {
  createTestCa as createServingTestCa,
  type TestCa as ServingTestCa,
  type TestCertificate,
} from '../src/gateway/test-certificates.js';
export { codeName } from '../src/http2/h2-limits.js';
export { TrafficRegistry } from '../src/traffic/destination-traffic.js';
export { createTestCa, type TestCa } from './certs.js';
export { A_ID, B_AUTHORITY, B_ID, type MeshPair, response, startMeshPair } from './mesh-pair.js';
export { type RecordingApp, startRecordingApp } from './recording-app.js';

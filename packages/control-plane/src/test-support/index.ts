/**
 * @weft/control-plane/testing: what tests in other packages and in test/ use to run a control
 * plane (a fixture with a test PKI and gRPC credentials), feed it manifests, and fake the
 * Kubernetes API. Resolved from source (the `weft-source` condition) by vitest; never part of dist.
 */
export { createTestPki, type TestPki } from './certs.js';
export { FakeKubeApi, type PathHandler, type RecordedWrite } from './fake-kube-api.js';
export { type Fixture, startFixture } from './fixture.js';
export { clientCredentials, discoveryClient, serverCredentials, TestStream } from './grpc.js';
export { SHOP, service, staticEndpoints, WEB_ID } from './manifests.js';

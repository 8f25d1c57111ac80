/**
 * @weft/cli/testing: the CLI's building blocks that the cross-package tests in test/ drive
 * directly (rendering the install manifests, `weft check`, the local mesh's children), so those
 * tests never reach into src/. Resolved from source (the `weft-source` condition) by vitest.
 */
export { checkCluster } from './check/check-cluster.js';
export { checkLocal } from './check/check-local.js';
export { GATEWAY_API_CHECK_NAME, GATEWAY_API_CRDS } from './check/gateway-api-checks.js';
export { loadInstallLayout } from './check/layout.js';
export type { CheckResult } from './check/result.js';
export type { IdentityIssuer } from './install/identity.js';
export { readYamlObjects } from './install/kustomize.js';
export { findManifestsDir } from './install/manifests-dir.js';
export { type KubeObject, objectKey } from './install/objects.js';
export { pkiIssuer } from './install/pki-issuer.js';
export { installedObjects, renderInstall } from './install/render-install.js';
export { demoManifests } from './up/demo-manifests.js';
export { type ControlPlaneChild, startControlPlane, startProxy } from './up/local-mesh.js';
export { Supervisor } from './up/supervisor.js';

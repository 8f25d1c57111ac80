// Where the upstream Gateway API CRDs are (kubernetes-sigs/gateway-api, standard channel,
// unmodified): they are not weft's, so the repository does not carry them. WEFT_GATEWAY_API_CRDS
// names the folder; otherwise the first `shared/gateway-api` folder above the repository (the
// layout the CI machines use for shared test assets, next to `shared/envtest`), then
// /work/shared/gateway-api (where .ci/run also looks for envtest, for a clone made elsewhere).
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The folder of Gateway API CRD files, or why there is none (tests that need it skip). */
export function gatewayApiCrds():
  | { type: 'ok'; dir: string; files: string[] }
  | { type: 'absent'; reason: string } {
  const fromEnv = process.env.WEFT_GATEWAY_API_CRDS;
  const candidates = fromEnv !== undefined && fromEnv !== '' ? [resolve(fromEnv)] : [];
  if (candidates.length === 0) {
    for (let dir = resolve(REPO); dir !== dirname(dir); dir = dirname(dir)) {
      candidates.push(join(dirname(dir), 'shared', 'gateway-api'));
    }
    candidates.push('/work/shared/gateway-api');
  }
  for (const dir of candidates) {
    if (existsSync(join(dir, 'gatewayclasses.yaml'))) {
      const files = readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .sort()
        .map((f) => join(dir, f));
      return { type: 'ok', dir, files };
    }
  }
  return {
    type: 'absent',
    reason:
      fromEnv !== undefined && fromEnv !== ''
        ? `WEFT_GATEWAY_API_CRDS=${fromEnv} has no gatewayclasses.yaml`
        : 'no shared/gateway-api folder above the repository (set WEFT_GATEWAY_API_CRDS to the upstream CRD files)',
  };
}

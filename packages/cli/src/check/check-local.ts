/** Which checks `weft check` runs against a local mesh, in the order they print. */
import { anchorRotationCheck } from './anchor-rotation.js';
import { adminHealthChecks, connectedProxiesCheck, identityDirChecks } from './local-checks.js';
import { rejectedResourcesCheck } from './rejected.js';
import { type Check, type CheckResult, runChecks } from './result.js';

/** Options of {@link checkLocal}; at least one of the two places. */
export interface LocalCheckOptions {
  /** The control plane's admin address, e.g. http://127.0.0.1:7990. */
  readonly controlPlaneAdmin?: string | undefined;
  /** The identity folder (ca.crt, issuer.crt, ...). */
  readonly identityDir?: string | undefined;
  /** The version proxies should run (this weft's). */
  readonly version: string;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

/** Checks a local mesh: the control plane's admin server and/or the identity folder. */
export async function checkLocal(options: LocalCheckOptions): Promise<CheckResult[]> {
  const admin = options.controlPlaneAdmin;
  const [health, ...adminRest] = admin === undefined ? [] : adminHealthChecks(admin, options.timeoutMs);
  const results = health === undefined ? [] : await runChecks([health], options.timeoutMs);
  // When the admin server cannot be reached, its other checks would only repeat that.
  const reachable = results.every((r) => r.status !== 'fail');
  const checks: Check[] = reachable ? [...adminRest] : [];
  if (options.identityDir !== undefined) {
    checks.push(...identityDirChecks(options.identityDir, options.now ?? Date.now));
  }
  if (admin !== undefined && reachable) {
    checks.push(rejectedResourcesCheck(admin, options.timeoutMs));
    checks.push(connectedProxiesCheck(admin, options.version, options.timeoutMs));
    checks.push(anchorRotationCheck(admin, options.timeoutMs));
  }
  return [...results, ...(await runChecks(checks, options.timeoutMs))];
}

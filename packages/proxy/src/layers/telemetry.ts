/** The outermost layer of both chains: gives each request its telemetry (spans and golden metrics). */
import { RequestTelemetry, type TelemetryDeps } from '../telemetry/request-telemetry.js';
import type { Layer } from './types.js';

export function telemetryLayer(deps: TelemetryDeps): Layer {
  return (next) => (req) => {
    req.telemetry = new RequestTelemetry(deps, req);
    next(req);
  };
}

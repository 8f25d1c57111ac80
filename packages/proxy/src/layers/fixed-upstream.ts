/** The layer that sends a request to its connection's fixed upstream: the app (inbound) or the egress address. */
import type { Layer } from './types.js';

/** Sets `upstream` to the exchange's `egress` (the app inbound; the original destination outbound). */
export const fixedUpstream: Layer = (next) => (req) => {
  req.upstream = req.egress;
  next(req);
};

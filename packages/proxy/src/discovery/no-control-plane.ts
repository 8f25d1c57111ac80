/** Discovery for a proxy run without a control plane: every name is outside the mesh (pure passthrough). */
import type { DestinationResolver, InboundPolicySource, Resolution } from './resolver.js';

const OUTSIDE: Resolution = { type: 'does-not-exist', reason: 'no control plane configured' };

export const noControlPlane: DestinationResolver & InboundPolicySource = {
  lookup: () => OUTSIDE,
  wait: () => Promise.resolve(OUTSIDE),
  inboundPolicy: () => undefined,
};

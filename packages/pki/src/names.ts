/** Names both sides of the control-plane connection agree on. */

/**
 * The DNS name every control-plane serving certificate carries and that workloads check when
 * they dial the control plane by IP address (a TLS server name cannot be an IP, RFC 6066).
 */
export const CONTROL_PLANE_SERVER_NAME = 'weft-control-plane.weft-system.svc';

/** The control plane's namespace and service account in a default install. */
export const CONTROL_PLANE_NAMESPACE = 'weft-system';
export const CONTROL_PLANE_SERVICE_ACCOUNT = 'weft-control-plane';

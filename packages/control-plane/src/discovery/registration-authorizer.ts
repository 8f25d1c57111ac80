/**
 * Who may register as an endpoint of what (local mode): a registration of service S by the
 * proxy whose client certificate says ns/N, sa/A is allowed only when the node carries a valid
 * join token for that same identity that lists N/S. Endpoints cannot be hijacked by any other
 * workload of the mesh, whatever its node message says.
 */
import type { Node__Output } from '@weft/api';
import type { TokenValidator } from '../identity/token-validator.js';
import type { WorkloadIdentity } from './peer-identity.js';

/** Why a registration was refused (stable values; the `reason` label of the refusal metric). */
export type RegistrationRefusal = 'no-token' | 'bad-token' | 'identity-mismatch' | 'service-not-allowed';

/** The decision on one registration. */
export type RegistrationDecision =
  | { readonly type: 'allowed' }
  | { readonly type: 'refused'; readonly reason: RegistrationRefusal; readonly message: string };

/**
 * Decides whether a connected proxy may register the service its node names. Called once per
 * stream, after the certificate identity was checked. Never throws for a bad token (refused);
 * throws only when it cannot decide.
 */
export interface RegistrationAuthorizer {
  authorize(identity: WorkloadIdentity, node: Node__Output): Promise<RegistrationDecision>;
}

/** The local-mode authorizer: join tokens (`weft token create --service`) name the services. */
export function joinTokenRegistrationAuthorizer(joinTokens: TokenValidator): RegistrationAuthorizer {
  return {
    async authorize(identity, node) {
      if (node.service === '') return { type: 'allowed' };
      const service = `${identity.namespace}/${node.service}`;
      if (node.registrationToken === '') {
        return refused('no-token', `registering as ${service} needs a join token that names it`);
      }
      const result = await joinTokens.validate(node.registrationToken);
      if (result.type === 'rejected') return refused('bad-token', `registration token: ${result.message}`);
      if (result.namespace !== identity.namespace || result.serviceAccount !== identity.serviceAccount) {
        return refused(
          'identity-mismatch',
          `the registration token is for ns/${result.namespace}/sa/${result.serviceAccount}, not the certificate's ${identity.id}`,
        );
      }
      if (!(result.services ?? []).includes(service)) {
        return refused('service-not-allowed', `${identity.id} may not register as ${service}`);
      }
      return { type: 'allowed' };
    },
  };
}

function refused(reason: RegistrationRefusal, message: string): RegistrationDecision {
  return { type: 'refused', reason, message };
}

/** The Kubernetes TokenValidator: a TokenReview for audience `weft` of a projected ServiceAccount token. */
import { AuthenticationV1Api, type KubeConfig, type V1TokenReviewStatus } from '@kubernetes/client-node';
import { TOKEN_AUDIENCE } from '@weft/pki';
import type { TokenValidator } from './token-validator.js';

/** Sends one TokenReview and returns its status. Throws when the API server cannot answer. */
export interface TokenReviewer {
  review(token: string, audiences: readonly string[]): Promise<V1TokenReviewStatus>;
}

/** A TokenReviewer over @kubernetes/client-node's AuthenticationV1Api. */
export function kubernetesTokenReviewer(kubeConfig: KubeConfig): TokenReviewer {
  const api = kubeConfig.makeApiClient(AuthenticationV1Api);
  return {
    async review(token, audiences) {
      const review = await api.createTokenReview({
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token, audiences: [...audiences] },
        },
      });
      return review.status ?? {};
    },
  };
}

const SERVICE_ACCOUNT_USER =
  /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/;

/**
 * Validates projected ServiceAccount tokens with TokenReview: the API server must say the token
 * is authenticated for audience `weft` and the user must be `system:serviceaccount:<ns>:<sa>`.
 */
export function kubernetesTokenValidator(reviewer: TokenReviewer, audience = TOKEN_AUDIENCE): TokenValidator {
  return {
    async validate(token) {
      if (token.length > 16 * 1024)
        return { type: 'rejected', reason: 'malformed', message: 'token is too long' };
      const status = await reviewer.review(token, [audience]);
      if (status.authenticated !== true) {
        const detail = status.error ? `: ${status.error}` : '';
        const audienceError = /audience/i.test(status.error ?? '');
        return {
          type: 'rejected',
          reason: audienceError ? 'wrong-audience' : 'not-authenticated',
          message: `TokenReview did not authenticate the token${detail}`,
        };
      }
      if (!(status.audiences ?? []).includes(audience)) {
        return {
          type: 'rejected',
          reason: 'wrong-audience',
          message: `token is not valid for audience ${audience}`,
        };
      }
      const user = status.user?.username ?? '';
      const m = SERVICE_ACCOUNT_USER.exec(user);
      if (!m) {
        return {
          type: 'rejected',
          reason: 'not-a-service-account',
          message: `token user ${JSON.stringify(user)} is not a service account`,
        };
      }
      return { type: 'authenticated', namespace: m[1] as string, serviceAccount: m[3] as string };
    },
  };
}

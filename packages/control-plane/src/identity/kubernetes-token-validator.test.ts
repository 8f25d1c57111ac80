import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubernetesTokenReviewer, kubernetesTokenValidator } from './kubernetes-token-validator.js';

/** A stand-in API server that answers TokenReviews from a table keyed by token. */
const answers: Record<string, { code?: number; status?: object }> = {
  good: {
    status: {
      authenticated: true,
      audiences: ['weft'],
      user: { username: 'system:serviceaccount:shop:web' },
    },
  },
  expired: { status: { authenticated: false, error: '[invalid bearer token, token has expired]' } },
  'other-audience': {
    status: {
      authenticated: false,
      error: 'token audiences ["vault"] is invalid for the target audiences ["weft"]',
    },
  },
  'no-audience': {
    status: { authenticated: true, audiences: [], user: { username: 'system:serviceaccount:a:b' } },
  },
  human: { status: { authenticated: true, audiences: ['weft'], user: { username: 'alice@example.com' } } },
  broken: { code: 500 },
};
const seen: Array<{ path: string; body: { spec?: { token?: string; audiences?: string[] } } }> = [];
let server: Server;
let kubeConfig: KubeConfig;

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const body = JSON.parse(text) as (typeof seen)[number]['body'];
      seen.push({ path: req.url ?? '', body });
      const answer = answers[body.spec?.token ?? ''] ?? { code: 401 };
      res.writeHead(answer.code ?? 201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          answer.status
            ? {
                apiVersion: 'authentication.k8s.io/v1',
                kind: 'TokenReview',
                spec: body.spec,
                status: answer.status,
              }
            : { kind: 'Status', status: 'Failure', code: answer.code },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'u', token: 'control-plane-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('kubernetesTokenValidator (TokenReview)', () => {
  const validator = () => kubernetesTokenValidator(kubernetesTokenReviewer(kubeConfig));

  it('maps system:serviceaccount:<ns>:<sa> and asks for audience weft', async () => {
    expect(await validator().validate('good')).toEqual({
      type: 'authenticated',
      namespace: 'shop',
      serviceAccount: 'web',
    });
    const last = seen[seen.length - 1];
    expect(last?.path).toBe('/apis/authentication.k8s.io/v1/tokenreviews');
    expect(last?.body.spec).toEqual({ token: 'good', audiences: ['weft'] });
  });

  it.each([
    ['expired', 'not-authenticated', /token has expired/],
    ['other-audience', 'wrong-audience', /target audiences/],
    ['no-audience', 'wrong-audience', /audience weft/],
    ['human', 'not-a-service-account', /alice@example\.com/],
  ])('rejects the %s token as %s', async (token, reason, message) => {
    const result = await validator().validate(token);
    expect(result).toMatchObject({ type: 'rejected', reason });
    if (result.type === 'rejected') expect(result.message).toMatch(message);
  });

  it('throws when the API server cannot answer (Certify then says UNAVAILABLE)', async () => {
    await expect(validator().validate('broken')).rejects.toThrow();
  });
});

import { generateKeyPairSync } from 'node:crypto';
import {
  credentials,
  Metadata,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { type CertifyResponse__Output, type IdentityClient, loadIdentityProto } from '@weft/api';
import {
  CertificateAuthority,
  createCsr,
  createIssuer,
  createJoinToken,
  createTrustAnchor,
  derToPem,
  generateKeyPair,
  generateTokenKey,
  parseCertificate,
  privateKeyToPem,
  TrustBundle,
  validateSvid,
} from '@weft/pki';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addIdentityService } from './identity-service.js';
import { joinTokenValidator } from './join-token-validator.js';
import { peerIdentity } from './peer-identity.js';
import { createIdentityServerCredentials, type ServingCredentials } from './serving-credentials.js';
import { routingTokenValidator, type TokenValidator } from './token-validator.js';

const TD = 'cluster.local';
const YEAR = 365 * 86400_000;
const anchor = createTrustAnchor({ trustDomain: TD, validityMs: 10 * YEAR });
const issuer = createIssuer({ trustDomain: TD, validityMs: YEAR, anchor });
const bundle = TrustBundle.fromDer([anchor.certificate]);
const ca = new CertificateAuthority({ trustDomain: TD, issuer, trustAnchors: bundle });
const tokenKey = generateTokenKey();
const token = (ns = 'shop', sa = 'web', extra: { ttlMs?: number; now?: number; audience?: string } = {}) =>
  createJoinToken({
    key: tokenKey,
    trustDomain: TD,
    namespace: ns,
    serviceAccount: sa,
    ttlMs: 3600_000,
    now: Date.now(),
    ...extra,
  });

/** A second service on the same server that answers with the caller's SPIFFE identity. */
const whoService: ServiceDefinition = {
  Who: {
    path: '/weft.test.Who/Who',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
    originalName: 'who',
  },
};

let server: Server;
let serving: ServingCredentials;
let port: number;
const registry = new Registry();
let validatorDown = false;

beforeAll(async () => {
  server = new Server();
  serving = createIdentityServerCredentials({ ca });
  const joinTokens = joinTokenValidator({ key: tokenKey, trustDomain: TD });
  const flaky: TokenValidator = {
    validate: (t) =>
      validatorDown ? Promise.reject(new Error('connect ECONNREFUSED')) : joinTokens.validate(t),
  };
  addIdentityService(server, {
    ca,
    validator: routingTokenValidator({ joinTokens: flaky }),
    registry,
    rateLimit: { burst: 3, perMinute: 1 },
  });
  server.addService(whoService, {
    Who(call: { getAuthContext(): never }, cb: (e: null, b: Buffer) => void) {
      const r = peerIdentity(call, {
        bundle,
        trustDomain: TD,
        now: Date.now(),
        intermediates: [issuer.certificate],
      });
      cb(null, Buffer.from(r.type === 'valid' ? r.identity : `invalid:${r.reason}`));
    },
  });
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', serving.credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
});

afterAll(async () => {
  serving.close();
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
});

function client(clientCert?: { chain: readonly Buffer[]; key: string }): IdentityClient {
  const Ctor = loadIdentityProto().weft.identity.v1alpha1.Identity;
  const creds = credentials.createSsl(
    Buffer.from(bundle.toPem()),
    clientCert ? Buffer.from(clientCert.key) : null,
    clientCert ? Buffer.from(clientCert.chain.map((c) => derToPem(c, 'CERTIFICATE')).join('')) : null,
  );
  return new Ctor(`127.0.0.1:${port}`, creds);
}

async function certify(
  request: { token: string | Promise<string>; csr: Buffer },
  c = client(),
): Promise<CertifyResponse__Output> {
  const token = await request.token;
  return new Promise((resolve, reject) =>
    c.Certify({ ...request, token }, (err, res) => {
      c.close();
      if (err) reject(err);
      else resolve(res as CertifyResponse__Output);
    }),
  );
}

async function failure(request: {
  token: string | Promise<string>;
  csr: Buffer;
}): Promise<{ code: number; details: string; reason: string }> {
  try {
    await certify(request);
  } catch (e) {
    const err = e as ServiceError;
    return { code: err.code, details: err.details, reason: String(err.metadata.get('weft-reason')[0]) };
  }
  throw new Error('expected the call to fail');
}

const csrFor = () => {
  const key = generateKeyPair();
  return { key, csr: createCsr({ privateKey: key.privateKey }) };
};

describe('Identity.Certify over gRPC with TLS', () => {
  it('issues a chain for the token identity that validates against the returned anchors', async () => {
    const { csr } = csrFor();
    const res = await certify({ token: token('shop', 'web'), csr });
    expect(res.identity).toBe('spiffe://cluster.local/ns/shop/sa/web');
    expect(res.intermediateCertificates).toHaveLength(1);
    const anchors = TrustBundle.fromDer(res.trustAnchors);
    const chain = [res.leafCertificate, ...res.intermediateCertificates];
    expect(validateSvid(chain, { bundle: anchors, trustDomain: TD, now: Date.now() })).toMatchObject({
      type: 'valid',
      identity: 'spiffe://cluster.local/ns/shop/sa/web',
    });
    expect(Number(res.validUntil?.seconds) * 1000).toBe(parseCertificate(res.leafCertificate).notAfter);
  });

  it('serves a certificate from the issuer with the control plane identity', () => {
    const [leaf] = serving.current();
    expect(validateSvid(serving.current(), { bundle, trustDomain: TD, now: Date.now() })).toMatchObject({
      identity: 'spiffe://cluster.local/ns/weft-system/sa/weft-control-plane',
    });
    expect(parseCertificate(leaf as Buffer).dnsNames).toContain('localhost');
  });

  it('takes the identity from the token even when the CSR asks for another', async () => {
    const res = await certify({ token: token('shop', 'api'), csr: csrFor().csr });
    expect(res.identity).toBe('spiffe://cluster.local/ns/shop/sa/api');
    expect(parseCertificate(res.leafCertificate).uris).toEqual(['spiffe://cluster.local/ns/shop/sa/api']);
  });

  it.each([
    [
      'garbage token',
      () => ({ token: 'garbage', csr: csrFor().csr }),
      status.UNAUTHENTICATED,
      'token-malformed',
      /malformed/,
    ],
    [
      'missing token',
      () => ({ token: '', csr: csrFor().csr }),
      status.UNAUTHENTICATED,
      'token-missing',
      /no token/,
    ],
    [
      'expired join token',
      () => ({ token: token('a', 'b', { ttlMs: 60_000, now: Date.now() - 3600_000 }), csr: csrFor().csr }),
      status.UNAUTHENTICATED,
      'token-expired',
      /expired/,
    ],
    [
      'token for another audience',
      () => ({ token: token('a', 'b', { audience: 'vault' }), csr: csrFor().csr }),
      status.UNAUTHENTICATED,
      'token-wrong-audience',
      /audience/,
    ],
    [
      'token signed by another key',
      () => ({
        token: createJoinToken({
          key: generateTokenKey(),
          trustDomain: TD,
          namespace: 'a',
          serviceAccount: 'b',
          ttlMs: 60_000,
          now: Date.now(),
        }),
        csr: csrFor().csr,
      }),
      status.UNAUTHENTICATED,
      'token-bad-signature',
      /signature/,
    ],
    [
      'invalid CSR signature',
      () => {
        const csr = Buffer.from(csrFor().csr);
        csr[csr.length - 4] = (csr[csr.length - 4] as number) ^ 1;
        return { token: token('m', 'a'), csr };
      },
      status.INVALID_ARGUMENT,
      'csr-bad-signature',
      /bad CSR \(bad-signature\)/,
    ],
    [
      'malformed CSR',
      () => ({ token: token('m', 'b'), csr: Buffer.from('nope') }),
      status.INVALID_ARGUMENT,
      'csr-malformed',
      /bad CSR \(malformed\)/,
    ],
    [
      'empty CSR',
      () => ({ token: token('m', 'c'), csr: Buffer.alloc(0) }),
      status.INVALID_ARGUMENT,
      'csr-malformed',
      /malformed/,
    ],
    [
      'oversized CSR',
      () => ({ token: token('m', 'd'), csr: Buffer.alloc(16 * 1024 + 1) }),
      status.INVALID_ARGUMENT,
      'csr-too-large',
      /16385 bytes \(limit 16384\)/,
    ],
  ])('refuses a %s', async (_label, request, code, reason, details) => {
    const f = await failure(request());
    expect(f.code).toBe(code);
    expect(f.reason).toBe(reason);
    expect(f.details).toMatch(details);
  });

  it('rate-limits per identity with RESOURCE_EXHAUSTED and keeps serving others', async () => {
    for (let i = 0; i < 3; i++) await certify({ token: token('rl', 'busy'), csr: csrFor().csr });
    const f = await failure({ token: token('rl', 'busy'), csr: csrFor().csr });
    expect(f).toMatchObject({ code: status.RESOURCE_EXHAUSTED, reason: 'rate-limited' });
    expect((await certify({ token: token('rl', 'calm'), csr: csrFor().csr })).identity).toMatch(/sa\/calm$/);
  });

  it('answers UNAVAILABLE when the token validator cannot decide', async () => {
    validatorDown = true;
    try {
      const f = await failure({ token: token('x', 'y'), csr: csrFor().csr });
      expect(f).toMatchObject({ code: status.UNAVAILABLE, reason: 'token-validation-unavailable' });
    } finally {
      validatorDown = false;
    }
  });

  it('counts issued certificates, failures by reason, and the issuer expiry', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/weft_identity_certificates_issued_total [1-9]/);
    expect(text).toMatch(/weft_identity_certify_failures_total\{reason="token-malformed"\} [1-9]/);
    expect(text).toMatch(/weft_identity_certify_failures_total\{reason="csr-too-large"\} 1/);
    const expiry = Number(/^weft_identity_issuer_expiry_seconds (\S+)$/m.exec(text)?.[1]);
    expect(expiry).toBeGreaterThan(YEAR / 1000 - 3600);
    expect(expiry).toBeLessThanOrEqual(YEAR / 1000);
  });
});

describe('peer identity on the shared port', () => {
  const Who = makeGenericClientConstructor(whoService, 'Who');
  const who = (creds: ReturnType<typeof credentials.createSsl>) =>
    new Promise<string>((resolve, reject) => {
      const c = new Who(`127.0.0.1:${port}`, creds);
      c.makeUnaryRequest(
        '/weft.test.Who/Who',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        new Metadata(),
        {},
        (err: ServiceError | null, res?: Buffer) => {
          c.close();
          if (err) reject(err);
          else resolve(String(res));
        },
      );
    });

  it('reads the SPIFFE ID of a client certificate, and reports none without one', async () => {
    const { key, csr } = csrFor();
    const res = await certify({ token: token('shop', 'web'), csr });
    const chain = [res.leafCertificate, ...res.intermediateCertificates];
    const withCert = credentials.createSsl(
      Buffer.from(bundle.toPem()),
      Buffer.from(privateKeyToPem(key.privateKey)),
      Buffer.from(chain.map((c) => derToPem(c, 'CERTIFICATE')).join('')),
    );
    expect(await who(withCert)).toBe('spiffe://cluster.local/ns/shop/sa/web');
    expect(await who(credentials.createSsl(Buffer.from(bundle.toPem())))).toBe('invalid:empty-chain');
  });

  it('does not take a client certificate from a foreign CA', async () => {
    const otherAnchor = createTrustAnchor({ trustDomain: TD, validityMs: YEAR });
    const otherIssuer = createIssuer({ trustDomain: TD, validityMs: YEAR, anchor: otherAnchor });
    const other = new CertificateAuthority({
      trustDomain: TD,
      issuer: otherIssuer,
      trustAnchors: TrustBundle.fromDer([otherAnchor.certificate]),
    });
    const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const issued = other.issueForKey({
      publicKey: key.publicKey,
      identity: 'spiffe://cluster.local/ns/shop/sa/web',
    });
    const creds = credentials.createSsl(
      Buffer.from(bundle.toPem()),
      Buffer.from(privateKeyToPem(key.privateKey)),
      Buffer.from(issued.chain.map((c) => derToPem(c, 'CERTIFICATE')).join('')),
    );
    // Not verified by TLS: the server sees no peer certificate (or the handshake fails).
    await expect(who(creds).catch(() => 'invalid:empty-chain')).resolves.toBe('invalid:empty-chain');
  });
});

void ServerCredentials;

describe('Identity.Certify pacing over gRPC', () => {
  it('refuses at once (ca-busy) a call whose issuance slot lies beyond its deadline', async () => {
    const paced = new Server();
    const creds = createIdentityServerCredentials({ ca });
    addIdentityService(paced, {
      ca,
      validator: joinTokenValidator({ key: tokenKey, trustDomain: TD }),
      // One certificate per 100 s after the first: the second call's slot is far beyond its deadline.
      pace: { perSecond: 0.01, burst: 1, maxWaitMs: 600_000 },
    });
    const pacedPort = await new Promise<number>((resolve, reject) =>
      paced.bindAsync('127.0.0.1:0', creds.credentials, (err, p) => (err ? reject(err) : resolve(p))),
    );
    const Ctor = loadIdentityProto().weft.identity.v1alpha1.Identity;
    const c: IdentityClient = new Ctor(
      `127.0.0.1:${pacedPort}`,
      credentials.createSsl(Buffer.from(bundle.toPem())),
    );
    const call = async (deadline: number) => {
      const t = await token('shop', `paced-${deadline}`);
      return new Promise<{ code: number; reason: string } | 'issued'>((resolve) =>
        c.Certify({ token: t, csr: csrFor().csr }, { deadline: Date.now() + deadline }, (err) =>
          resolve(err ? { code: err.code, reason: String(err.metadata.get('weft-reason')[0]) } : 'issued'),
        ),
      );
    };
    try {
      expect(await call(30_000)).toBe('issued');
      // Refused by the pacer, not left to run into DEADLINE_EXCEEDED.
      expect(await call(10_000)).toEqual({ code: status.RESOURCE_EXHAUSTED, reason: 'ca-busy' });
    } finally {
      c.close();
      creds.close();
      await new Promise<void>((resolve) => paced.tryShutdown(() => resolve()));
    }
  });
});

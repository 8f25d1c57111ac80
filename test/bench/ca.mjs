#!/usr/bin/env node
// npm run bench:ca — certificate issuance rate (CSR verify + build + sign + encode, one core)
// beside node:crypto's raw signing rate and node-forge's pure-JS issuance, measured in this run.
// The last line is a JSON object with the headline figures. BENCH_SECONDS sets each phase's length.
// Headline (`certs_per_s`): the default configuration, ECDSA P-256 CA and workload keys. The RSA-2048
// path is bounded by RSA signing itself, so it is reported as a ratio to raw RSA-2048 signing.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { connect, createServer } from 'node:tls';
import {
  CertificateAuthority,
  createCsr,
  createIssuer,
  createTrustAnchor,
  derToPem,
  generateKeyPair,
  privateKeyToPem,
  TrustBundle,
} from '@weft/pki';
import forge from 'node-forge';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const TD = 'cluster.local';
const ID = 'spiffe://cluster.local/ns/shop/sa/web';

/** Runs `fn` repeatedly for about `seconds` (after a short warm-up); returns operations per second. */
function rate(fn, seconds = SECONDS) {
  return interleaved({ only: fn }, seconds).only;
}

/**
 * Measures several phases in round-robin slices of 100 ms, so that load from other processes on
 * a shared machine falls on every phase alike and the ratios stay fair. Returns ops/s per phase.
 */
function interleaved(phases, seconds = SECONDS) {
  const names = Object.keys(phases);
  const stats = Object.fromEntries(names.map((n) => [n, { ops: 0, ms: 0 }]));
  for (const n of names) {
    const warm = performance.now();
    while (performance.now() - warm < 100) phases[n]();
  }
  const rounds = Math.max(1, Math.round((seconds * 1000) / 100));
  for (let r = 0; r < rounds; r++) {
    for (const n of names) {
      const start = performance.now();
      let now = start;
      let ops = 0;
      while (now - start < 100) {
        phases[n]();
        ops++;
        now = performance.now();
      }
      stats[n].ops += ops;
      stats[n].ms += now - start;
    }
  }
  return Object.fromEntries(names.map((n) => [n, stats[n].ops / (stats[n].ms / 1000)]));
}

function makeCa(keyAlgorithm) {
  const anchor = createTrustAnchor({ trustDomain: TD, validityMs: 3650 * 86400_000, keyAlgorithm });
  const issuer = createIssuer({ trustDomain: TD, validityMs: 365 * 86400_000, anchor, keyAlgorithm });
  return new CertificateAuthority({
    trustDomain: TD,
    issuer,
    trustAnchors: TrustBundle.fromDer([anchor.certificate]),
  });
}

const csrs = {};
for (const alg of ['ecdsa-p256', 'rsa-2048']) {
  csrs[alg] = Array.from({ length: 32 }, () => createCsr({ privateKey: generateKeyPair(alg).privateKey }));
}

const results = {};
const row = (label, value, note = '') =>
  console.log(`${label.padEnd(46)} ${value.toFixed(0).padStart(8)} /s ${note}`);

console.log(
  `weft CA issuance benchmark (${SECONDS}s per phase, interleaved, one core, node ${process.version})`,
);
const tbs = randomBytes(450);
const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const ecKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const phases = {
  native_sign_per_s: () => sign('sha256', tbs, rsaKey),
  native_ecdsa_sign_per_s: () => sign('sha256', tbs, ecKey),
};
for (const caAlg of ['ecdsa-p256', 'rsa-2048']) {
  const ca = makeCa(caAlg);
  for (const leafAlg of ['ecdsa-p256', 'rsa-2048']) {
    let i = 0;
    const list = csrs[leafAlg];
    phases[`${caAlg}_ca_${leafAlg}_leaf_certs_per_s`] = () => {
      const out = ca.issue({ csr: list[i++ % list.length], identity: ID });
      if (out.type !== 'issued') throw new Error(out.message);
    };
  }
}
Object.assign(results, interleaved(phases, SECONDS * (Object.keys(phases).length / 2)));
row('node:crypto raw RSA-2048 sign', results.native_sign_per_s);
row('node:crypto raw ECDSA P-256 sign', results.native_ecdsa_sign_per_s);
for (const caAlg of ['ecdsa-p256', 'rsa-2048']) {
  for (const leafAlg of ['ecdsa-p256', 'rsa-2048']) {
    const r = results[`${caAlg}_ca_${leafAlg}_leaf_certs_per_s`];
    const native = caAlg === 'rsa-2048' ? results.native_sign_per_s : results.native_ecdsa_sign_per_s;
    row(
      `weft issue: ${caAlg} CA, ${leafAlg} leaf CSR`,
      r,
      `(${((100 * r) / native).toFixed(0)}% of raw ${caAlg} sign)`,
    );
  }
}

// The alternative: node-forge end to end (parse CSR + verify + build + sign in pure JS, PEM out).
{
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = keys.publicKey;
  csr.setSubject([{ name: 'commonName', value: 'x' }]);
  csr.sign(keys.privateKey, forge.md.sha256.create());
  const csrPem = forge.pki.certificationRequestToPem(csr);
  const caKeys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const forgeIssue = () => {
    const req = forge.pki.certificationRequestFromPem(csrPem);
    if (!req.verify()) throw new Error('csr');
    const cert = forge.pki.createCertificate();
    cert.publicKey = req.publicKey;
    cert.serialNumber = randomBytes(16).toString('hex');
    cert.validity.notBefore = new Date();
    cert.validity.notAfter = new Date(Date.now() + 86400_000);
    cert.setIssuer([{ name: 'commonName', value: 'issuer' }]);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'subjectAltName', altNames: [{ type: 6, value: ID }], critical: true },
    ]);
    cert.sign(caKeys.privateKey, forge.md.sha256.create());
    return forge.pki.certificateToPem(cert);
  };
  results.forge_pure_js_certs_per_s = rate(forgeIssue, Math.min(SECONDS, 1));
  row('node-forge pure JS (RSA-2048 CA, RSA leaf, PEM)', results.forge_pure_js_certs_per_s);
}

// Why ECDSA is the default: mutual-TLS handshakes (both ends in this process, so the rate is the
// CPU cost of both sides) with P-256 versus RSA-2048 certificates from the same kind of CA.
async function handshaker(alg) {
  const ca = makeCa(alg);
  const svid = (identity) => {
    const { privateKey } = generateKeyPair(alg);
    const r = ca.issue({ csr: createCsr({ privateKey }), identity });
    return {
      key: privateKeyToPem(privateKey),
      cert: r.certificate.chain.map((c) => derToPem(c, 'CERTIFICATE')).join(''),
    };
  };
  const caPem = ca.trustAnchors.toPem();
  const server = createServer({ ...svid(ID), ca: caPem, requestCert: true, rejectUnauthorized: true }, (s) =>
    s.end(),
  );
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const client = {
    ...svid('spiffe://cluster.local/ns/shop/sa/api'),
    ca: caPem,
    checkServerIdentity: () => undefined,
  };
  const once = () =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ...client }, () => {
        socket.destroy();
        resolve();
      });
      socket.on('error', reject);
    });
  for (let i = 0; i < 20; i++) await once();
  const stats = { n: 0, ms: 0 };
  return {
    stats,
    // Several handshakes in flight, so the rate measures CPU per handshake, not loopback latency.
    async run(ms) {
      const start = performance.now();
      const worker = async () => {
        while (performance.now() - start < ms) {
          await once();
          stats.n++;
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      stats.ms += performance.now() - start;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
{
  const ec = await handshaker('ecdsa-p256');
  const rsa = await handshaker('rsa-2048');
  for (let round = 0; round < Math.max(2, Math.round(SECONDS)); round++) {
    await ec.run(750);
    await rsa.run(750);
  }
  results.ecdsa_mtls_handshakes_per_s = ec.stats.n / (ec.stats.ms / 1000);
  results.rsa_mtls_handshakes_per_s = rsa.stats.n / (rsa.stats.ms / 1000);
  await ec.close();
  await rsa.close();
}
row('mTLS handshakes, ECDSA P-256 certificates', results.ecdsa_mtls_handshakes_per_s);
row(
  'mTLS handshakes, RSA-2048 certificates',
  results.rsa_mtls_handshakes_per_s,
  `(ECDSA ${(results.ecdsa_mtls_handshakes_per_s / results.rsa_mtls_handshakes_per_s).toFixed(2)}x faster)`,
);

const headline = results['ecdsa-p256_ca_ecdsa-p256_leaf_certs_per_s'];
const rsa = results['rsa-2048_ca_rsa-2048_leaf_certs_per_s'];
console.log('');
console.log(
  `default (ECDSA P-256 CA and leaves): ${headline.toFixed(0)} certs/s; goal 1000: ${headline >= 1000 ? 'met' : 'NOT met'}`,
);
console.log(
  `RSA-2048 CA and leaves: ${rsa.toFixed(0)} certs/s = ${(rsa / results.native_sign_per_s).toFixed(2)} x raw RSA-2048 signing; ` +
    `${(rsa / results.forge_pure_js_certs_per_s).toFixed(0)} x node-forge pure JS`,
);
const round = (v) => Math.round(v);
console.log(
  JSON.stringify({
    certs_per_s: round(headline),
    native_sign_per_s: round(results.native_sign_per_s),
    rsa_certs_per_s: round(rsa),
    rsa_ratio_to_native_sign: Number((rsa / results.native_sign_per_s).toFixed(3)),
    native_ecdsa_sign_per_s: round(results.native_ecdsa_sign_per_s),
    ecdsa_ca_rsa_leaf_certs_per_s: round(results['ecdsa-p256_ca_rsa-2048_leaf_certs_per_s']),
    rsa_ca_ecdsa_leaf_certs_per_s: round(results['rsa-2048_ca_ecdsa-p256_leaf_certs_per_s']),
    forge_pure_js_certs_per_s: round(results.forge_pure_js_certs_per_s),
    ecdsa_mtls_handshakes_per_s: round(results.ecdsa_mtls_handshakes_per_s),
    rsa_mtls_handshakes_per_s: round(results.rsa_mtls_handshakes_per_s),
    goal_certs_per_s: 1000,
    goal_met: headline >= 1000,
  }),
);

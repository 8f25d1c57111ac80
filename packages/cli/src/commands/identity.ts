/** `weft identity create-ca` and `weft identity issue`: make a mesh CA; fetch an SVID for a non-proxy workload. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createIdentityMaterial,
  type KeyAlgorithm,
  parseCertificate,
  rotateIssuer,
  TrustBundle,
  trustDomainOf,
  writeIdentityDir,
} from '@weft/pki';
import { grpcCertificateClient, requestSvid, SVID_FILES, writeSvid } from '@weft/proxy';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { durationArg } from '../cli-kit/duration.js';
import { deprecatedAlias } from '../cli-kit/env.js';
import type { CliIo } from '../cli-kit/io.js';
import { registerRotateAnchor } from './identity/rotate-anchor.js';

function keyAlgorithmOption(text: string): KeyAlgorithm {
  if (text === 'ecdsa-p256' || text === 'rsa-2048') return text;
  throw new InvalidArgumentError('must be ecdsa-p256 or rsa-2048');
}

function trustDomainOption(text: string): string {
  if (!/^[a-z0-9._-]{1,255}$/.test(text))
    throw new InvalidArgumentError(`not a trust domain: ${JSON.stringify(text)}`);
  return text;
}

export function registerIdentity(program: Command, io: CliIo): void {
  const identity = program
    .command('identity')
    .description('mesh certificate authority and workload certificates');

  const createCa = identity
    .command('create-ca')
    .description(
      'create a trust anchor, an issuer and a join-token key (ca.crt, ca.key, issuer.crt, issuer.key, token.key)',
    )
    .requiredOption('--identity-dir <dir>', 'the identity folder to write (created if missing)')
    .option('--trust-domain <domain>', 'SPIFFE trust domain', trustDomainOption, 'cluster.local')
    .addOption(
      new Option('--anchor-validity <duration>', 'trust anchor lifetime')
        .argParser(durationArg)
        .default(durationArg('10y'), '10y'),
    )
    .addOption(
      new Option('--issuer-validity <duration>', 'issuer (intermediate) lifetime')
        .argParser(durationArg)
        .default(durationArg('1y'), '1y'),
    )
    .option('--key-algorithm <alg>', 'ecdsa-p256 or rsa-2048', keyAlgorithmOption, 'ecdsa-p256')
    .option('--force', 'overwrite existing files');
  deprecatedAlias(createCa, '--out <dir>', '--identity-dir', io.stderr);
  createCa.action(
    async (opts: {
      identityDir: string;
      trustDomain: string;
      anchorValidity: number;
      issuerValidity: number;
      keyAlgorithm: KeyAlgorithm;
      force?: boolean;
    }) => {
      const material = createIdentityMaterial({
        trustDomain: opts.trustDomain,
        anchorValidityMs: opts.anchorValidity,
        issuerValidityMs: opts.issuerValidity,
        keyAlgorithm: opts.keyAlgorithm,
      });
      await writeIdentityDir(opts.identityDir, material, { force: opts.force === true });
      const issuer = parseCertificate(material.issuer.certificate);
      io.stdout(
        `created a ${opts.keyAlgorithm} CA for trust domain ${opts.trustDomain} in ${opts.identityDir}\n` +
          `  ca.crt      trust anchor (distribute to workloads)\n` +
          `  issuer.crt  issuer, valid until ${new Date(issuer.notAfter).toISOString()}\n` +
          `  ca.key, issuer.key, token.key  private keys (mode 0600)\n`,
      );
    },
  );

  const rotate = identity
    .command('rotate-issuer')
    .description('replace issuer.crt/issuer.key with a new issuer under the same trust anchor (ca.key)')
    .requiredOption('--identity-dir <dir>', 'the identity folder written by "weft identity create-ca"')
    .addOption(
      new Option('--issuer-validity <duration>', 'new issuer lifetime')
        .argParser(durationArg)
        .default(durationArg('1y'), '1y'),
    )
    .option('--key-algorithm <alg>', 'ecdsa-p256 or rsa-2048', keyAlgorithmOption, 'ecdsa-p256');
  deprecatedAlias(rotate, '--dir <dir>', '--identity-dir', io.stderr);
  rotate.action(async (opts: { identityDir: string; issuerValidity: number; keyAlgorithm: KeyAlgorithm }) => {
    const notAfter = await rotateIssuer(opts.identityDir, {
      validityMs: opts.issuerValidity,
      keyAlgorithm: opts.keyAlgorithm,
    });
    io.stdout(
      `new issuer in ${opts.identityDir}, valid until ${new Date(notAfter).toISOString()}; ` +
        'the control plane signs with it within seconds (existing certificates stay valid)\n',
    );
  });

  registerRotateAnchor(identity, io);

  const issue = identity
    .command('issue')
    .description('fetch an SVID for a workload without a proxy (writes cert.pem, key.pem, bundle.pem)')
    .requiredOption('--control-plane <host:port>', 'control plane gRPC address (port 7443)')
    .requiredOption('--ca-file <file>', 'PEM trust anchors that sign the control plane certificate')
    .requiredOption('--token-file <file>', 'join token or projected ServiceAccount token')
    .requiredOption('--svid-dir <dir>', 'folder to write the certificate, key and bundle to')
    .option(
      '--trust-domain <domain>',
      'trust domain (default: the one named in the CA file)',
      trustDomainOption,
    )
    .option('--server-name <name>', 'TLS name to check on the control plane certificate');
  deprecatedAlias(issue, '--out <dir>', '--svid-dir', io.stderr);
  issue.action(
    async (opts: {
      controlPlane: string;
      caFile: string;
      tokenFile: string;
      svidDir: string;
      trustDomain?: string;
      serverName?: string;
    }) => {
      const caPem = await readFile(opts.caFile, 'utf8');
      const anchors = TrustBundle.fromPem(caPem);
      const token = (await readFile(opts.tokenFile, 'utf8')).trim();
      const trustDomain =
        opts.trustDomain ??
        anchors.anchors.map((a) => trustDomainOf(a.info)).find((d) => d !== undefined) ??
        'cluster.local';
      const client = grpcCertificateClient({
        address: opts.controlPlane,
        trustAnchorsPem: caPem,
        serverName: opts.serverName,
      });
      try {
        const result = await requestSvid({ client, token, trustDomain, now: Date.now() });
        if (result.type === 'failed')
          throw new Error(`certificate request failed (${result.reason}): ${result.message}`);
        await writeSvid(opts.svidDir, result.svid);
        io.stdout(
          `${result.svid.identity} valid until ${new Date(result.svid.notAfter).toISOString()}\n` +
            `wrote ${[SVID_FILES.cert, SVID_FILES.key, SVID_FILES.bundle].map((f) => join(opts.svidDir, f)).join(', ')}\n`,
        );
      } finally {
        client.close();
      }
    },
  );
}

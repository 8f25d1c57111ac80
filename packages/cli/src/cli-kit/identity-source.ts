/** The identity flags `weft proxy` and `weft gateway` share, and what they make of them. */
import { readFileSync } from 'node:fs';
import type { IdentitySource } from '@weft/proxy';
import type { Command } from 'commander';

/** The flags that name a proxy's identity. */
export interface IdentityFlags {
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly caFile?: string | undefined;
  readonly tokenFile?: string | undefined;
  readonly controlPlane?: string | undefined;
  readonly trustDomain: string;
}

/** The identity from --cert-file/--key-file, --token-file, or none (`weft proxy` and `weft gateway`). */
export function identitySource(
  flags: IdentityFlags,
  command: Command,
  StaticCertificateSource: typeof import('@weft/proxy/run').StaticCertificateSource,
): IdentitySource {
  if (flags.certFile !== undefined || flags.keyFile !== undefined) {
    if (flags.certFile === undefined || flags.keyFile === undefined || flags.caFile === undefined) {
      command.error('--cert-file needs --key-file and --ca-file (the trust bundle)', { exitCode: 2 });
    }
    return {
      type: 'static',
      certificates: new StaticCertificateSource({
        certChain: readFileSync(flags.certFile!, 'utf8'),
        key: readFileSync(flags.keyFile!, 'utf8'),
        trustBundle: readFileSync(flags.caFile!, 'utf8'),
      }),
    };
  }
  if (flags.tokenFile !== undefined) {
    if (flags.controlPlane === undefined || flags.caFile === undefined) {
      command.error('--token-file needs --control-plane and --ca-file', { exitCode: 2 });
    }
    return { type: 'certify', tokenFile: flags.tokenFile, trustDomain: flags.trustDomain };
  }
  // No identity at all: plaintext only (outbound passthrough, permissive inbound).
  return { type: 'static', certificates: new StaticCertificateSource() };
}

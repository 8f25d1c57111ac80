/**
 * The certificates `weft install` puts into Secrets: the trust anchor, the issuer, and the
 * injector's serving certificate. Read from a folder `weft identity create-ca` wrote, or
 * generated in memory by an {@link IdentityIssuer} (backed by @weft/pki).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM texts, named as the files in install/identity/ are. */
export interface IdentityFiles {
  /** The trust anchor (root) certificate. */
  readonly 'ca.crt': string;
  /** The issuer (intermediate) certificate. */
  readonly 'issuer.crt': string;
  /** The issuer's private key. */
  readonly 'issuer.key': string;
  /** The key that signs join tokens (local mode; the control plane loads it with the rest). */
  readonly 'token.key': string;
  /** The injector's serving certificate, then the issuer. */
  readonly 'injector.crt': string;
  /** The injector's private key. */
  readonly 'injector.key': string;
}

/** The file names of {@link IdentityFiles}: what install/identity/kustomization.yaml reads. */
export const IDENTITY_FILE_NAMES: readonly string[] = [
  'ca.crt',
  'issuer.crt',
  'issuer.key',
  'token.key',
  'injector.crt',
  'injector.key',
];

/** A trust anchor certificate, an issuer certificate and key, and a join-token key (PEM). */
export interface CaFiles {
  readonly caCrt: string;
  readonly issuerCrt: string;
  readonly issuerKey: string;
  readonly tokenKey: string;
}

/**
 * Creates CA material and serving certificates. Implemented over @weft/pki; `weft install`
 * owns no certificate code of its own. Throws on CA-side problems (expired issuer, bad PEM).
 */
export interface IdentityIssuer {
  /** A new trust anchor, issuer and join-token key for `trustDomain` (the anchor key is dropped). */
  createCa(options: { trustDomain: string }): CaFiles;
  /**
   * Checks CA files read from a folder: the issuer key matches its certificate, which chains to
   * the trust anchor. Returns the trust domain issuer.crt names, if any, and when the issuer
   * expires (ms since the epoch). Throws on a problem.
   */
  check(ca: CaFiles): { trustDomain?: string; issuerNotAfter: number };
  /** A TLS serving certificate for `dnsNames` (chain: leaf, then issuer) and its key. */
  issueServing(options: {
    ca: CaFiles;
    trustDomain: string;
    /** The SPIFFE ID of the serving workload. */
    identity: string;
    dnsNames: readonly string[];
    lifetimeMs: number;
  }): { chainPem: string; keyPem: string };
}

/** The injector's Service, as the API server dials it. */
export const INJECTOR_DNS_NAMES = [
  'weft-injector.weft-system.svc',
  'weft-injector.weft-system.svc.cluster.local',
];
/** `weft install` warns when the issuer it installs expires sooner than this. */
export const ISSUER_EXPIRY_WARNING_MS = 30 * 86_400_000;
/** The injector's serving certificate lives a year (capped by the issuer). */
export const INJECTOR_CERT_LIFETIME_MS = 365 * 86_400_000;

/** A missing or unreadable identity file; the message says how to create it. */
export class IdentityDirError extends Error {
  readonly code = 'IDENTITY_DIR';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdentityDirError';
  }
}

function readText(dir: string, name: string): string | undefined {
  try {
    return readFileSync(join(dir, name), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IdentityDirError(`cannot read ${join(dir, name)}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Reads ca.crt, issuer.crt, issuer.key and token.key (required: `weft identity create-ca` writes
 * them) and injector.crt + injector.key (optional: issued from the issuer when absent) from `dir`.
 */
export function readIdentityDir(dir: string): {
  ca: CaFiles;
  injector?: { chainPem: string; keyPem: string };
} {
  const required = ['ca.crt', 'issuer.crt', 'issuer.key', 'token.key'] as const;
  const [caCrt, issuerCrt, issuerKey, tokenKey] = required.map((name) => readText(dir, name));
  const missing = required.filter((_, i) => [caCrt, issuerCrt, issuerKey, tokenKey][i] === undefined);
  if (caCrt === undefined || issuerCrt === undefined || issuerKey === undefined || tokenKey === undefined) {
    throw new IdentityDirError(
      `${dir} lacks ${missing.join(', ')} (create them with: weft identity create-ca --identity-dir ${dir})`,
    );
  }
  const chainPem = readText(dir, 'injector.crt');
  const keyPem = readText(dir, 'injector.key');
  if ((chainPem === undefined) !== (keyPem === undefined)) {
    throw new IdentityDirError(`${dir} has only one of injector.crt and injector.key; give both or neither`);
  }
  const ca = { caCrt, issuerCrt, issuerKey, tokenKey };
  return chainPem !== undefined && keyPem !== undefined ? { ca, injector: { chainPem, keyPem } } : { ca };
}

/** Everything the identity Secrets need: from `dir` when given, else generated. */
export function resolveIdentity(options: {
  dir?: string;
  trustDomain: string;
  issuer: IdentityIssuer;
  /** Now, in ms since the epoch (injected for tests). */
  now: number;
  /** Told about an issuer that expires soon. */
  warn: (message: string) => void;
}): IdentityFiles {
  const fromDir = options.dir === undefined ? undefined : readIdentityDir(options.dir);
  if (fromDir !== undefined) {
    let checked: { trustDomain?: string; issuerNotAfter: number };
    try {
      checked = options.issuer.check(fromDir.ca);
    } catch (err) {
      throw new IdentityDirError(`${options.dir}: ${(err as Error).message}`, { cause: err });
    }
    if (checked.trustDomain !== undefined && checked.trustDomain !== options.trustDomain) {
      throw new IdentityDirError(
        `${options.dir} holds a CA for trust domain ${checked.trustDomain}, but the mesh config says ${options.trustDomain}`,
      );
    }
    const left = checked.issuerNotAfter - options.now;
    const expires = () => new Date(checked.issuerNotAfter).toISOString();
    if (left <= 0) {
      throw new IdentityDirError(
        `${options.dir}/issuer.crt expired at ${expires()}; sign a new issuer with the trust anchor`,
      );
    }
    if (left < ISSUER_EXPIRY_WARNING_MS) {
      options.warn(
        `${options.dir}/issuer.crt expires at ${expires()}, in ${Math.ceil(left / 86_400_000)} days`,
      );
    }
  }
  const ca = fromDir?.ca ?? options.issuer.createCa({ trustDomain: options.trustDomain });
  const injector =
    fromDir?.injector ??
    options.issuer.issueServing({
      ca,
      trustDomain: options.trustDomain,
      identity: `spiffe://${options.trustDomain}/ns/weft-system/sa/weft-injector`,
      dnsNames: INJECTOR_DNS_NAMES,
      lifetimeMs: INJECTOR_CERT_LIFETIME_MS,
    });
  return {
    'ca.crt': ca.caCrt,
    'issuer.crt': ca.issuerCrt,
    'issuer.key': ca.issuerKey,
    'token.key': ca.tokenKey,
    'injector.crt': injector.chainPem,
    'injector.key': injector.keyPem,
  };
}

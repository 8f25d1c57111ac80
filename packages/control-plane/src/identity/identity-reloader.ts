/**
 * Reloads the identity folder (trust anchors, issuer certificate and key) without a restart: a
 * folder watch plus a periodic check (a Secret mounted as a volume changes by a symlink swap that
 * some watchers miss). New material is checked before it is used; bad material is refused with a
 * log line and a metric, and the identity in force keeps serving.
 */

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, describeError, systemClock, type TimerHandle } from '@weft/core';
import {
  IDENTITY_FILES,
  type IdentityTexts,
  isSignedBy,
  keyMatches,
  type LoadedIdentity,
  type LoadIdentityOptions,
  loadIdentityTexts,
  parseCertificate,
  pemToDer,
  privateKeyFromPem,
  TrustBundle,
} from '@weft/pki';
import { type Logger, silentLogger } from '@weft/runtime';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type DirectoryWatch, watchDirectory } from '../sources/directory-watch.js';

/** Default period of the check that backs up the folder watch. */
export const DEFAULT_IDENTITY_RELOAD_MS = 5000;

/** Why new identity material was refused (the metric's `reason` label). */
export type ReloadRejection =
  | 'unreadable'
  | 'malformed'
  | 'key-mismatch'
  | 'issuer-not-chained'
  | 'expired'
  | 'trust-domain-changed';

/** The result of one {@link IdentityReloader.check}. */
export type ReloadResult =
  | { readonly type: 'unchanged' }
  | { readonly type: 'reloaded'; readonly identity: LoadedIdentity }
  | { readonly type: 'rejected'; readonly reason: ReloadRejection; readonly message: string };

/**
 * Where the identity's texts are read from: the folder (default), or the Secrets through the
 * Kubernetes API (see kubernetes/identity-secrets.ts). Throws when they cannot be read.
 */
export interface IdentitySource {
  /** For log lines: the folder, or the Secrets. */
  readonly description: string;
  read(): Promise<IdentityTexts>;
}

/** Reads ca.crt, issuer.crt, issuer.key and token.key from `dir`. */
export function folderIdentitySource(dir: string): IdentitySource {
  return {
    description: dir,
    async read() {
      const [anchorsPem, issuerCertPem, issuerKeyPem, tokenKeyPem] = await Promise.all(
        WATCHED.map((name) => readFile(join(dir, name), 'utf8')),
      );
      return { anchorsPem, issuerCertPem, issuerKeyPem, tokenKeyPem } as IdentityTexts;
    },
  };
}

/** Options for {@link IdentityReloader}. */
export interface IdentityReloaderOptions {
  /** The identity folder: watched, and read unless `source` says otherwise. */
  readonly dir: string;
  /** Read the texts from here instead of `dir` (then `dir` is not watched; the periodic check reads). */
  readonly source?: IdentitySource;
  /** The identity loaded at start (in force until a good reload). */
  readonly initial: LoadedIdentity;
  /** Passed to every load (trust domain, leaf lifetimes). */
  readonly load?: LoadIdentityOptions;
  /** Period of the backup check (default 5 s; 0 disables the timer, the watch stays). */
  readonly intervalMs?: number;
  /** Called with each accepted identity (after it is in force). */
  readonly onReload: (identity: LoadedIdentity) => void;
  readonly registry?: Registry;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * Owns the identity in force. Reads the folder when it changes (content hash), validates the new
 * material, and swaps it in. Issuers replaced during a rotation stay known (as intermediates for
 * verifying proxies that still hold leaves from them) while they chain to an anchor in force and
 * have not expired.
 */
export class IdentityReloader {
  private identity: LoadedIdentity;
  private previousIssuers: Buffer[] = [];
  private lastHash: string | undefined;
  private pendingBad: string | undefined;
  private timer: TimerHandle | undefined;
  private watcher: DirectoryWatch | undefined;
  private debounce: TimerHandle | undefined;
  private checking: Promise<ReloadResult> | undefined;
  private closed = false;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly reloads: Counter<'result' | 'reason'> | undefined;
  private readonly anchorsGauge: Gauge | undefined;
  private readonly source: IdentitySource;

  constructor(private readonly options: IdentityReloaderOptions) {
    this.identity = options.initial;
    this.source = options.source ?? folderIdentitySource(options.dir);
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger()).child({ part: 'identity-reload' });
    if (options.registry !== undefined) {
      this.reloads = new Counter({
        name: 'weft_identity_reloads_total',
        help: 'Identity folder reloads: result="reloaded", or "rejected" with the reason (the old identity keeps serving).',
        labelNames: ['result', 'reason'],
        registers: [options.registry],
      });
      this.anchorsGauge = new Gauge({
        name: 'weft_identity_trust_anchors',
        help: 'Trust anchors in the bundle given to proxies (2 during an anchor rotation).',
        registers: [options.registry],
      });
      this.anchorsGauge.set(this.identity.trustAnchors.anchors.length);
    }
  }

  /** The identity in force. */
  current(): LoadedIdentity {
    return this.identity;
  }

  /** Issuer certificates (DER) that complete a proxy's chain: the one in force, then replaced ones still valid. */
  intermediates(): Buffer[] {
    const now = this.clock.now();
    const anchors = this.identity.trustAnchors.anchors;
    const previous = this.previousIssuers.filter((der) => {
      const info = parseCertificate(der);
      return info.notAfter > now && anchors.some((a) => isSignedBy(info, a.publicKey));
    });
    return [this.identity.ca.issuerInfo.der, ...previous];
  }

  /** Starts the folder watch and the periodic check. The first check records the current content. */
  async start(): Promise<void> {
    this.lastHash = await this.read()
      .then((r) => r.hash)
      .catch(() => undefined);
    if (this.options.source !== undefined) {
      this.schedule();
      return;
    }
    try {
      this.watcher = watchDirectory({
        dir: this.options.dir,
        clock: this.clock,
        onChange: () => this.soon(),
        onError: (err) => {
          this.watcher = undefined;
          this.logger.warn(
            { err: describeError(err) },
            'identity folder watch failed; the periodic check goes on',
          );
        },
      });
    } catch (err) {
      this.logger.warn(
        { err: describeError(err) },
        'cannot watch the identity folder; the periodic check goes on',
      );
    }
    this.schedule();
  }

  /** Stops watching. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.debounce?.cancel();
    this.watcher?.close();
  }

  /** Reads the folder once and applies it when it changed and is good. Never throws. */
  check(): Promise<ReloadResult> {
    this.checking ??= this.checkOnce().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private schedule(): void {
    const interval = this.options.intervalMs ?? DEFAULT_IDENTITY_RELOAD_MS;
    if (this.closed || interval <= 0) return;
    this.timer = this.clock.setTimeout(() => {
      void this.check().finally(() => this.schedule());
    }, interval);
  }

  /** After a burst of watch events (one per file, and kubelet's symlink swap): check once. */
  private soon(): void {
    if (this.closed) return;
    this.debounce?.cancel();
    void this.check();
  }

  private async checkOnce(): Promise<ReloadResult> {
    let hash: string;
    let texts: IdentityTexts;
    try {
      ({ hash, texts } = await this.read());
    } catch (err) {
      return this.reject(`unreadable:${describeError(err)}`, 'unreadable', describeError(err));
    }
    if (hash === this.lastHash) return { type: 'unchanged' };
    const verdict = this.validate(texts);
    if (verdict.type === 'rejected') return this.reject(hash, verdict.reason, verdict.message);
    this.lastHash = hash;
    this.pendingBad = undefined;
    const old = this.identity;
    if (!old.ca.issuerInfo.der.equals(verdict.identity.ca.issuerInfo.der)) {
      this.previousIssuers = [old.ca.issuerInfo.der, ...this.previousIssuers].slice(0, 4);
    }
    this.identity = verdict.identity;
    if (
      !old.tokenKey
        .export({ format: 'der', type: 'pkcs8' })
        .equals(verdict.identity.tokenKey.export({ format: 'der', type: 'pkcs8' }))
    ) {
      this.logger.warn(
        'token.key changed: join tokens are still checked with the key loaded at start; restart to use the new one',
      );
    }
    this.reloads?.inc({ result: 'reloaded', reason: '' });
    this.anchorsGauge?.set(verdict.identity.trustAnchors.anchors.length);
    this.logger.info(
      {
        anchors: verdict.identity.trustAnchors.anchors.length,
        issuerSerial: verdict.identity.ca.issuerInfo.serialHex,
        issuerNotAfter: new Date(verdict.identity.ca.issuerNotAfter).toISOString(),
      },
      'identity reloaded',
    );
    try {
      this.options.onReload(verdict.identity);
    } catch (err) {
      this.logger.error({ err: describeError(err) }, 'applying the reloaded identity failed');
    }
    return { type: 'reloaded', identity: verdict.identity };
  }

  /**
   * A refusal is reported once the same bad content is read twice: files written one after the
   * other (a new issuer key, then its certificate) are briefly inconsistent, and a second read a
   * moment later tells a half-written folder from bad material.
   */
  private reject(hash: string, reason: ReloadRejection, message: string): ReloadResult {
    if (this.pendingBad !== hash) {
      this.pendingBad = hash;
      this.debounce?.cancel();
      if (!this.closed) this.debounce = this.clock.setTimeout(() => void this.check(), 500);
      return { type: 'unchanged' };
    }
    if (this.lastHash === hash) return { type: 'unchanged' };
    this.lastHash = hash;
    this.reloads?.inc({ result: 'rejected', reason });
    this.logger.error(
      { from: this.source.description, reason },
      `identity reload refused (${reason}): ${message}; the identity in force keeps serving`,
    );
    return { type: 'rejected', reason, message };
  }

  private async read(): Promise<{ hash: string; texts: IdentityTexts }> {
    const texts = await this.source.read();
    const h = createHash('sha256');
    for (const t of [texts.anchorsPem, texts.issuerCertPem, texts.issuerKeyPem, texts.tokenKeyPem])
      h.update(t).update('\0');
    return { hash: h.digest('hex'), texts };
  }

  /** Loads the texts and checks what loadIdentityTexts does not (expiry, trust domain), naming the reason. */
  private validate(
    texts: IdentityTexts,
  ):
    | { type: 'ok'; identity: LoadedIdentity }
    | { type: 'rejected'; reason: ReloadRejection; message: string } {
    const precheck = precheckTexts(texts, this.clock.now());
    if (precheck !== undefined) return { type: 'rejected', ...precheck };
    let identity: LoadedIdentity;
    try {
      identity = loadIdentityTexts(texts, {
        ...this.options.load,
        clock: this.options.load?.clock ?? this.clock,
      });
    } catch (err) {
      return { type: 'rejected', reason: 'malformed', message: describeError(err) };
    }
    if (identity.trustDomain !== this.identity.trustDomain) {
      return {
        type: 'rejected',
        reason: 'trust-domain-changed',
        message: `the new issuer is for trust domain ${identity.trustDomain}, not ${this.identity.trustDomain}`,
      };
    }
    return { type: 'ok', identity };
  }
}

const WATCHED = [
  IDENTITY_FILES.anchorCert,
  IDENTITY_FILES.issuerCert,
  IDENTITY_FILES.issuerKey,
  IDENTITY_FILES.tokenKey,
] as const;

/** The checks with precise reasons: key against certificate, chain to an anchor, expiry. */
function precheckTexts(
  texts: IdentityTexts,
  now: number,
): { reason: ReloadRejection; message: string } | undefined {
  let anchors: TrustBundle;
  let issuer: ReturnType<typeof parseCertificate>;
  let key: ReturnType<typeof privateKeyFromPem>;
  try {
    anchors = TrustBundle.fromPem(texts.anchorsPem);
    issuer = parseCertificate(pemToDer(texts.issuerCertPem, 'CERTIFICATE'));
    key = privateKeyFromPem(texts.issuerKeyPem);
  } catch (err) {
    return { reason: 'malformed', message: describeError(err) };
  }
  if (!keyMatches(issuer, key)) {
    return {
      reason: 'key-mismatch',
      message: `${IDENTITY_FILES.issuerKey} is not the key of ${IDENTITY_FILES.issuerCert}`,
    };
  }
  const signer = anchors.anchors.find((a) => isSignedBy(issuer, a.publicKey));
  if (signer === undefined) {
    return {
      reason: 'issuer-not-chained',
      message: `${IDENTITY_FILES.issuerCert} (serial ${issuer.serialHex}) is signed by no anchor in ${IDENTITY_FILES.anchorCert}`,
    };
  }
  if (issuer.notAfter <= now) {
    return {
      reason: 'expired',
      message: `${IDENTITY_FILES.issuerCert} expired at ${new Date(issuer.notAfter).toISOString()}`,
    };
  }
  if (signer.info.notAfter <= now) {
    return {
      reason: 'expired',
      message: `the anchor that signs ${IDENTITY_FILES.issuerCert} expired at ${new Date(signer.info.notAfter).toISOString()}`,
    };
  }
  return undefined;
}

/** The webhook's serving certificate issued by the weft issuer at startup, renewed before it expires. */

import { type Clock, describeError, type Random, systemRandom, type TimerHandle } from '@weft/core';
import {
  type CertificateAuthority,
  derToPem,
  generateKeyPair,
  privateKeyToPem,
  rotationDelayMs,
} from '@weft/pki';
import type { Logger } from '@weft/runtime';
import type { TlsMaterial } from './tls-files.js';

/** How long to wait before trying again when issuing fails. */
const RETRY_MS = 60_000;

export interface IssuedTlsOptions {
  /** The weft issuer (from an identity folder). Only `issueForKey` is used. */
  readonly ca: Pick<CertificateAuthority, 'issueForKey'>;
  /** The SPIFFE ID of the injector, e.g. spiffe://cluster.local/ns/weft-system/sa/weft-injector. */
  readonly identity: string;
  /** The names the API server dials, e.g. weft-injector.weft-system.svc. */
  readonly dnsNames: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly clock: Clock;
  readonly random?: Random;
  readonly logger: Logger;
  /** Receives each renewed certificate (e.g. `server.setCertificate`). */
  readonly onChange: (material: TlsMaterial) => void;
  /** Told of every renewal attempt; for metrics and tests. */
  readonly onRenew?: (result: { ok: true; notAfter: number } | { ok: false; error: string }) => void;
}

/** A certificate and key (PEM, leaf then issuer) with the leaf's validity. */
export interface IssuedTls {
  readonly material: TlsMaterial;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** Issues one serving certificate for a fresh key; the key never leaves this process. */
export function issueServingCertificate(options: IssuedTlsOptions): IssuedTls {
  const { privateKey, publicKey } = generateKeyPair('ecdsa-p256');
  const issued = options.ca.issueForKey({
    publicKey,
    identity: options.identity,
    dnsNames: options.dnsNames,
    ipAddresses: options.ipAddresses,
  });
  return {
    material: {
      cert: issued.chain.map((der) => derToPem(der, 'CERTIFICATE')).join(''),
      key: privateKeyToPem(privateKey),
    },
    notBefore: issued.notBefore,
    notAfter: issued.notAfter,
  };
}

/**
 * Issues the serving certificate now (throwing if it cannot) and renews it at about half its
 * lifetime; a failed renewal keeps the current certificate and retries in a minute.
 */
export function startIssuedTls(options: IssuedTlsOptions): { initial: IssuedTls; close(): void } {
  const random = options.random ?? systemRandom;
  let timer: TimerHandle | undefined;
  let closed = false;
  const schedule = (delayMs: number): void => {
    if (closed) return;
    timer = options.clock.setTimeout(renew, delayMs);
  };
  const next = (tls: IssuedTls): number =>
    rotationDelayMs({ notBefore: tls.notBefore, notAfter: tls.notAfter, now: options.clock.now(), random });
  const renew = (): void => {
    try {
      const tls = issueServingCertificate(options);
      options.onChange(tls.material);
      options.logger.info({ notAfter: new Date(tls.notAfter).toISOString() }, 'serving certificate renewed');
      options.onRenew?.({ ok: true, notAfter: tls.notAfter });
      schedule(next(tls));
    } catch (err) {
      options.logger.warn(
        { err: describeError(err) },
        'serving certificate not renewed; keeping the current one',
      );
      options.onRenew?.({ ok: false, error: describeError(err) });
      schedule(RETRY_MS);
    }
  };
  const initial = issueServingCertificate(options);
  schedule(next(initial));
  return {
    initial,
    close() {
      closed = true;
      timer?.cancel();
    },
  };
}

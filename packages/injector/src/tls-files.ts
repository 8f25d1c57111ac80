/** The webhook's serving certificate from files (a mounted Secret), reloaded when they change. */

import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { describeError, WeftError } from '@weft/core';
import type { Logger } from '@weft/runtime';

/** A PEM certificate chain and its key. */
export interface TlsMaterial {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/** Reads and checks a certificate and key; throws a WeftError naming the file on any problem. */
export async function readTlsFiles(certFile: string, keyFile: string): Promise<TlsMaterial> {
  let cert: Buffer;
  let key: Buffer;
  try {
    [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  } catch (err) {
    throw new WeftError('INVALID_CONFIG', `cannot read TLS files: ${describeError(err)}`, { cause: err });
  }
  try {
    // Fails when either is not PEM or the key does not match the certificate.
    createSecureContext({ cert, key });
  } catch (err) {
    throw new WeftError(
      'INVALID_CONFIG',
      `${certFile} and ${keyFile} are not a matching certificate and key: ${describeError(err)}`,
      {
        cause: err,
      },
    );
  }
  return { cert, key };
}

export interface TlsFileWatchOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** Receives each good new certificate (e.g. `server.setSecureContext`). */
  readonly onChange: (material: TlsMaterial) => void;
  /** Told of every reload attempt; for metrics and tests. */
  readonly onReload?: (result: { ok: true } | { ok: false; error: string }) => void;
  readonly logger: Logger;
  /** How often the files are stat'ed (follows the symlinks a Secret mount swaps). Default 1000 ms. */
  readonly intervalMs?: number;
}

/** Watches the two files; a bad pair (e.g. half written) keeps the current certificate serving. */
export function watchTlsFiles(options: TlsFileWatchOptions): { close(): void } {
  const { certFile, keyFile, logger } = options;
  let running = false;
  let again = false;
  const reload = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        try {
          const material = await readTlsFiles(certFile, keyFile);
          options.onChange(material);
          logger.info({ certFile }, 'serving certificate reloaded');
          options.onReload?.({ ok: true });
        } catch (err) {
          logger.warn(
            { err: describeError(err) },
            'serving certificate not reloaded; keeping the current one',
          );
          options.onReload?.({ ok: false, error: describeError(err) });
        }
      } while (again);
    } finally {
      running = false;
    }
  };
  const listener = (): void => {
    void reload();
  };
  const watchOptions = { interval: options.intervalMs ?? 1000, persistent: false };
  watchFile(certFile, watchOptions, listener);
  watchFile(keyFile, watchOptions, listener);
  return {
    close() {
      unwatchFile(certFile, listener);
      unwatchFile(keyFile, listener);
    },
  };
}

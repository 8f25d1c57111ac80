/**
 * Local mode certificates from files: `<folder>/certificates/<namespace>/<name>/tls.crt` and
 * `tls.key` stand for the TLS Secret `<namespace>/<name>` that a Gateway listener's
 * certificateRef (or an Ingress's tls.secretName) names, when no Secret manifest of that name
 * exists. They are read on every reload of the folder, so a renewed certificate is served
 * without a restart.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DNS_LABEL, DNS_SUBDOMAIN, TLS_SECRET_TYPE } from '@weft/api';
import { describeError } from '@weft/core';
import { displayPath, type Entry, type FolderError } from './manifest-entries.js';

/** The folder under the manifests folder that holds certificates. */
export const CERTIFICATES_DIR = 'certificates';
/** Largest tls.crt or tls.key read (a chain of a few certificates is a few KiB). */
const MAX_FILE_BYTES = 192 * 1024;

async function dirs(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

async function readSmall(file: string): Promise<string> {
  const info = await stat(file);
  if (info.size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
  return readFile(file, 'utf8');
}

/** The TLS Secrets the certificate folders stand for, and the problems found reading them. */
export async function readCertificateFolders(
  dir: string,
): Promise<{ entries: Entry[]; problems: FolderError[] }> {
  const root = join(dir, CERTIFICATES_DIR);
  const entries: Entry[] = [];
  const problems: FolderError[] = [];
  for (const namespace of await dirs(root)) {
    for (const name of await dirs(join(root, namespace))) {
      const folder = join(root, namespace, name);
      const file = displayPath(folder);
      if (!DNS_LABEL.test(namespace) || !DNS_SUBDOMAIN.test(name)) {
        problems.push({
          file,
          line: 0,
          message:
            'certificate folders are certificates/<namespace>/<secret name>, both lower-case RFC 1123 names',
          severity: 'warning',
        });
        continue;
      }
      let crt: string;
      let key: string;
      try {
        [crt, key] = await Promise.all([
          readSmall(join(folder, 'tls.crt')),
          readSmall(join(folder, 'tls.key')),
        ]);
      } catch (err) {
        problems.push({
          file,
          line: 0,
          message: `tls.crt and tls.key: ${describeError(err)}`,
          severity: 'error',
        });
        continue;
      }
      const object = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace },
        type: TLS_SECRET_TYPE,
        data: {
          'tls.crt': Buffer.from(crt).toString('base64'),
          'tls.key': Buffer.from(key).toString('base64'),
        },
      };
      entries.push({
        ref: { kind: 'Secret', namespace, name },
        object,
        json: JSON.stringify(object),
        origin: { source: 'folder', file, line: 0 },
      });
    }
  }
  return { entries, problems };
}

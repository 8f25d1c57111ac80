/**
 * Local mode certificates from files: `<folder>/certificates/<namespace>/<name>/tls.crt` and
 * `tls.key` stand for the TLS Secret `<namespace>/<name>` that a Gateway listener's
 * certificateRef (or an Ingress's tls.secretName) names, when no Secret manifest of that name
 * exists. They are read on every reload of the folder, so a renewed certificate is served
 * without a restart.
 *
 * The two files cannot be replaced together: a tool renewing them writes one, then the other.
 * A reload in between would read a key that does not belong to the certificate, and the
 * listener would stop serving until the second write. So a folder whose pair is unreadable or
 * does not match keeps the last good pair read from it (reported as an error); only a folder
 * that never held a good pair passes its bad one on, for the Gateway's status to report.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DNS_LABEL, DNS_SUBDOMAIN, TLS_SECRET_TYPE } from '@weft/api';
import { describeError } from '@weft/core';
import { checkCertificate } from '../gateway/certificates.js';
import { refKey } from './config-source.js';
import { displayPath, type Entry, type FolderError } from './manifest-entries.js';

const KEPT = '; the last good tls.crt and tls.key read from this folder keep serving';

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

/**
 * The TLS Secrets the certificate folders stand for, and the problems found reading them.
 * `lastGood` (by refKey) holds the last matching pair of each folder; it is updated here.
 */
export async function readCertificateFolders(
  dir: string,
  lastGood: Map<string, Entry> = new Map(),
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
      const ref = { kind: 'Secret', namespace, name } as const;
      const previous = lastGood.get(refKey(ref));
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
          message: `tls.crt and tls.key: ${describeError(err)}${previous === undefined ? '' : KEPT}`,
          severity: 'error',
        });
        if (previous !== undefined) entries.push(previous);
        continue;
      }
      const check = checkCertificate(crt, key);
      if (check.type === 'invalid' && previous !== undefined) {
        problems.push({ file, line: 0, message: `${check.message}${KEPT}`, severity: 'error' });
        entries.push(previous);
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
      const entry: Entry = {
        ref,
        object,
        json: JSON.stringify(object),
        origin: { source: 'folder', file, line: 0 },
      };
      if (check.type === 'ok') lastGood.set(refKey(ref), entry);
      entries.push(entry);
    }
  }
  // A folder that is gone takes its last good pair with it.
  const present = new Set(entries.map((e) => refKey(e.ref)));
  for (const k of [...lastGood.keys()]) if (!present.has(k)) lastGood.delete(k);
  return { entries, problems };
}

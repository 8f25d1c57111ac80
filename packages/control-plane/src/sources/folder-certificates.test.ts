/**
 * Local mode certificates from files: certificates/<namespace>/<name>/tls.{crt,key} become the
 * TLS Secret <namespace>/<name> unless a Secret manifest of that name exists; a renewed file is
 * picked up by the folder watch, and removing the files removes the Secret.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SourceEvent } from './config-source.js';
import { FolderSource } from './folder-source.js';

let dir: string;
let folder: FolderSource;
let waiters: Array<{ match: (e: SourceEvent) => boolean; resolve: (e: SourceEvent) => void }> = [];

function sink(events: readonly SourceEvent[]): void {
  for (const event of events) {
    waiters = waiters.filter((w) => {
      if (!w.match(event)) return true;
      w.resolve(event);
      return false;
    });
  }
}

function next(match: (e: SourceEvent) => boolean): Promise<SourceEvent> {
  return new Promise((resolve) => waiters.push({ match, resolve }));
}

const crtOf = (e: SourceEvent) =>
  e.type === 'upsert'
    ? Buffer.from((e.object as { data: Record<string, string> }).data['tls.crt'] ?? '', 'base64').toString()
    : undefined;

function writeCert(ns: string, name: string, crt: string, key = 'KEY'): void {
  const d = join(dir, 'certificates', ns, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'tls.key'), key);
  writeFileSync(join(d, 'tls.crt'), crt);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-certs-'));
});

afterEach(async () => {
  await folder?.close();
  waiters = [];
  rmSync(dir, { recursive: true, force: true });
});

describe('certificates from files', () => {
  it('reads certificates/<ns>/<name>/ as a TLS Secret and follows a renewal', async () => {
    writeCert('shop', 'web-tls', 'CERT-1');
    const first = next((e) => e.type === 'upsert' && e.ref.kind === 'Secret');
    folder = new FolderSource({ dir, debounceMs: 20 });
    await folder.start(sink);
    const e = await first;
    expect(e).toMatchObject({
      type: 'upsert',
      ref: { kind: 'Secret', namespace: 'shop', name: 'web-tls' },
      object: { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls' },
    });
    expect(crtOf(e)).toBe('CERT-1');

    const renewed = next((x) => x.type === 'upsert' && crtOf(x) === 'CERT-2');
    writeFileSync(join(dir, 'certificates', 'shop', 'web-tls', 'tls.crt'), 'CERT-2');
    expect(crtOf(await renewed)).toBe('CERT-2');

    const gone = next((x) => x.type === 'delete' && x.ref.kind === 'Secret');
    rmSync(join(dir, 'certificates', 'shop', 'web-tls'), { recursive: true });
    expect(await gone).toEqual({
      type: 'delete',
      ref: { kind: 'Secret', namespace: 'shop', name: 'web-tls' },
    });
  });

  it('prefers a Secret manifest of the same name, and reports a folder without tls.key', async () => {
    writeCert('shop', 'web-tls', 'FROM-FILE');
    mkdirSync(join(dir, 'certificates', 'shop', 'half'), { recursive: true });
    writeFileSync(join(dir, 'certificates', 'shop', 'half', 'tls.crt'), 'X');
    writeFileSync(
      join(dir, 'secret.yaml'),
      `apiVersion: v1\nkind: Secret\nmetadata: {name: web-tls, namespace: shop}\ntype: kubernetes.io/tls\ndata: {tls.crt: ${Buffer.from('FROM-MANIFEST').toString('base64')}, tls.key: S0VZ}\n`,
    );
    const seen: SourceEvent[] = [];
    folder = new FolderSource({ dir, watch: false });
    await folder.start((events) => seen.push(...events));
    const secrets = seen.filter((e) => e.type === 'upsert' && e.ref.kind === 'Secret');
    expect(secrets.map(crtOf)).toEqual(['FROM-MANIFEST']);
    expect(folder.errors().map((p) => p.message)).toEqual([
      expect.stringMatching(/^tls.crt and tls.key: .*ENOENT/),
    ]);
  });
});

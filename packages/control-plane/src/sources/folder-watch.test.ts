/**
 * The folder source notices every kind of edit while watching: in place, replace-by-rename
 * (editors, `sed -i`), delete and re-create, and files in new subfolders. Each step waits for
 * the source's own change event, so the order never depends on timing.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
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

/** Resolves with the next event that matches; registered before the change that causes it. */
function next(match: (e: SourceEvent) => boolean): Promise<SourceEvent> {
  return new Promise((resolve) => waiters.push({ match, resolve }));
}

const port = (e: SourceEvent) =>
  e.type === 'upsert' ? (e.object as { spec: { ports: { port: number }[] } }).spec.ports[0]?.port : undefined;
const upsertOf = (name: string, p: number) => (e: SourceEvent) =>
  e.type === 'upsert' && e.ref.name === name && port(e) === p;
const deleteOf = (name: string) => (e: SourceEvent) => e.type === 'delete' && e.ref.name === name;

const svc = (name: string, p: number) =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  ports:\n  - {port: ${p}}\n`;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-watch-'));
  writeFileSync(join(dir, 'api.yaml'), svc('api', 80));
  folder = new FolderSource({ dir, debounceMs: 20 });
  await folder.start(sink);
});

afterEach(async () => {
  await folder.close();
  waiters = [];
  rmSync(dir, { recursive: true, force: true });
});

describe('FolderSource watching', () => {
  it('applies edits in place', async () => {
    const edited = next(upsertOf('api', 81));
    writeFileSync(join(dir, 'api.yaml'), svc('api', 81));
    expect(port(await edited)).toBe(81);
  });

  it('keeps noticing a file after it was replaced by rename', async () => {
    for (const p of [81, 82, 83]) {
      const replaced = next(upsertOf('api', p));
      writeFileSync(join(dir, '.api.yaml.tmp'), svc('api', p));
      renameSync(join(dir, '.api.yaml.tmp'), join(dir, 'api.yaml'));
      expect(port(await replaced)).toBe(p);
    }
    // A plain write after the renames is still seen (fs.watch lost the file here).
    const edited = next(upsertOf('api', 90));
    writeFileSync(join(dir, 'api.yaml'), svc('api', 90));
    expect(port(await edited)).toBe(90);
  });

  it('notices a deletion and the file coming back', async () => {
    const deleted = next(deleteOf('api'));
    unlinkSync(join(dir, 'api.yaml'));
    await deleted;
    const back = next(upsertOf('api', 85));
    writeFileSync(join(dir, 'api.yaml'), svc('api', 85));
    expect(port(await back)).toBe(85);
    const edited = next(upsertOf('api', 86));
    writeFileSync(join(dir, 'api.yaml'), svc('api', 86));
    expect(port(await edited)).toBe(86);
  });

  it('reads files in new subfolders and their later edits', async () => {
    const added = next(upsertOf('cart', 80));
    mkdirSync(join(dir, 'team', 'cart'), { recursive: true });
    writeFileSync(join(dir, 'team', 'cart', 'cart.yaml'), svc('cart', 80));
    await added;
    const edited = next(upsertOf('cart', 81));
    writeFileSync(join(dir, 'team', 'cart', 'cart.yaml'), svc('cart', 81));
    expect(port(await edited)).toBe(81);
    const removed = next(deleteOf('cart'));
    rmSync(join(dir, 'team'), { recursive: true });
    await removed;
  });
});

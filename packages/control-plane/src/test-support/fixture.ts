/** A running control plane over a temporary manifests folder, for stream tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@weft/core';
import { ControlPlane } from '../control-plane.js';
import type { RegistrationAuthorizer } from '../discovery/registration-authorizer.js';
import { FolderSource } from '../sources/folder-source.js';
import { RegistrationSource } from '../sources/registration-source.js';
import { createTestPki, type TestPki } from './certs.js';
import { serverCredentials } from './grpc.js';

export interface Fixture {
  readonly cp: ControlPlane;
  readonly folder: FolderSource;
  readonly registrations: RegistrationSource;
  readonly registrationClock: ManualClock;
  readonly pki: TestPki;
  readonly port: number;
  readonly dir: string;
  /** Writes a file in the folder and reloads. */
  write(name: string, yaml: string): Promise<void>;
  close(): Promise<void>;
}

export async function startFixture(
  files: Record<string, string>,
  pki: TestPki = createTestPki(),
  options: {
    maxBlockedRounds?: number;
    maxSubscriptions?: number;
    registrationAuthorizer?: RegistrationAuthorizer;
  } = {},
): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-cp-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const folder = new FolderSource({ dir, watch: false });
  const registrationClock = new ManualClock();
  const registrations = new RegistrationSource({ clock: registrationClock, graceMs: 5000 });
  const cp = new ControlPlane({
    sources: [folder, registrations],
    registrar: registrations,
    credentials: serverCredentials(pki),
    grpcAddress: '127.0.0.1:0',
    admin: { host: '127.0.0.1', port: 0 },
    ...options,
  });
  const { grpcPort } = await cp.start();
  return {
    cp,
    folder,
    registrations,
    registrationClock,
    pki,
    port: grpcPort,
    dir,
    async write(name, yaml) {
      writeFileSync(join(dir, name), yaml);
      await folder.reload();
    },
    async close() {
      await cp.close();
      rmSync(dir, { recursive: true, force: true });
      pki.cleanup();
    },
  };
}

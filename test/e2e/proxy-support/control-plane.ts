/** Runs the real `weft control-plane` over a folder of manifests, with join tokens for the proxies. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdentityMaterial, createJoinToken, writeIdentityDir } from '@weft/pki';
import { WEFT_BIN } from './processes.js';

export interface ControlPlaneProcess {
  readonly child: ChildProcess;
  readonly grpc: number;
  readonly admin: number;
}

/** A folder with an identity (CA + token key), join tokens and manifests. */
export interface MeshFolder {
  readonly dir: string;
  /** Flags a proxy with service account `sa` needs to reach the control plane and get certified. */
  proxyFlags(sa: string, grpcPort: number): string[];
  /** Starts a control plane (grpcPort 0 = any), with `extraArgs` after the usual flags. */
  start(grpcPort?: number, extraArgs?: readonly string[]): Promise<ControlPlaneProcess>;
  cleanup(): void;
}

export async function createMeshFolder(
  manifests: Record<string, string>,
  accounts: readonly string[],
): Promise<MeshFolder> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-e2e-mesh-'));
  const material = createIdentityMaterial({
    trustDomain: 'cluster.local',
    anchorValidityMs: 86_400_000,
    issuerValidityMs: 86_400_000,
  });
  await writeIdentityDir(join(dir, 'identity'), material);
  for (const sa of accounts) {
    const token = await createJoinToken({
      key: material.tokenKey,
      trustDomain: 'cluster.local',
      namespace: 'default',
      serviceAccount: sa,
      // Each proxy registers the service named like its account (see proxyFlags).
      services: [sa],
      ttlMs: 3_600_000,
      now: Date.now(),
    });
    writeFileSync(join(dir, `${sa}.token`), token);
  }
  mkdirSync(join(dir, 'config'));
  for (const [file, text] of Object.entries(manifests)) writeFileSync(join(dir, 'config', file), text);
  return {
    dir,
    proxyFlags: (sa, grpcPort) => [
      '--control-plane',
      `127.0.0.1:${grpcPort}`,
      '--ca-file',
      join(dir, 'identity', 'ca.crt'),
      '--token-file',
      join(dir, `${sa}.token`),
      '--namespace',
      'default',
      '--service-account',
      sa,
      '--service',
      sa,
      '--workload',
      `${sa}-1`,
      '--listen-host',
      '127.0.0.1',
      '--admin-host',
      '127.0.0.1',
      '--inbound-port',
      '0',
      '--outbound-port',
      '0',
      '--admin-port',
      '0',
    ],
    async start(grpcPort = 0, extraArgs: readonly string[] = []) {
      const child = spawn(
        process.execPath,
        [
          WEFT_BIN,
          'control-plane',
          '--config-dir',
          join(dir, 'config'),
          '--identity-dir',
          join(dir, 'identity'),
          '--listen',
          `127.0.0.1:${grpcPort}`,
          '--admin-listen',
          '127.0.0.1:0',
          ...extraArgs,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const ports = await new Promise<{ grpc: number; admin: number }>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as { grpc: number; admin: number });
        });
        // The last 8 KiB of standard error: the reason a control plane exits is printed last.
        let err = '';
        child.stderr!.on('data', (d: Buffer) => {
          err = (err + d.toString()).slice(-8192);
        });
        // 'close' comes after the last stderr bytes, so the message has the reason.
        child.once('close', (code, signal) =>
          reject(new Error(`control plane exited ${code ?? signal}: ${err.slice(-2000)}`)),
        );
      });
      return { child, ...ports };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Stops a control plane with `signal` and waits for it to exit. */
export async function stopControlPlane(
  cp: ControlPlaneProcess | undefined,
  signal: NodeJS.Signals,
): Promise<void> {
  const c = cp?.child;
  if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
  c.kill(signal);
  await once(c, 'exit');
}

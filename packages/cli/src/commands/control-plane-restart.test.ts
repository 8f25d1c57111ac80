/**
 * A control plane SIGKILLed and restarted at once on the same port serves again (issue 13's
 * crash loop). One that cannot bind says why before it exits 1: control-plane.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createIdentityMaterial, writeIdentityDir } from '@weft/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/weft.js', import.meta.url));
let dir: string;
const children: ChildProcess[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-cp-restart-'));
  await writeIdentityDir(
    join(dir, 'identity'),
    createIdentityMaterial({
      trustDomain: 'cluster.local',
      anchorValidityMs: 86_400_000,
      issuerValidityMs: 86_400_000,
    }),
  );
  mkdirSync(join(dir, 'config'));
});

afterAll(() => {
  for (const s of sockets) s.destroy();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

type Started =
  | { type: 'listening'; child: ChildProcess; grpc: number }
  | { type: 'exited'; code: number | null; stderr: string };

/** Starts `weft control-plane` on 127.0.0.1:`port`: its listening line, or its exit code and stderr. */
function start(port: number): Promise<Started> {
  const child = spawn(
    process.execPath,
    [
      bin,
      'control-plane',
      '--config-dir',
      join(dir, 'config'),
      '--identity-dir',
      join(dir, 'identity'),
      '--listen',
      `127.0.0.1:${port}`,
      '--admin-listen',
      '127.0.0.1:0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0)
        resolve({ type: 'listening', child, grpc: (JSON.parse(out.slice(0, nl)) as { grpc: number }).grpc });
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    // 'close', not 'exit': 'exit' may come before the last stderr bytes are read (the reason).
    child.once('close', (code) => resolve({ type: 'exited', code, stderr: err }));
  });
}

/** A port that is free now, below Linux's ephemeral range (no outgoing connection is given it). */
async function freePortBelowEphemeralRange(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server: Server = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }
  }
  throw new Error('no free port in 20000-32000');
}

async function connected(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port });
  sockets.push(s);
  s.on('error', () => {});
  await once(s, 'connect');
  return s;
}

describe('weft control-plane restarts', () => {
  it('SIGKILLed with clients connected, it restarts at once on the same port, three times', {
    timeout: 60_000,
  }, async () => {
    const port = await freePortBelowEphemeralRange();
    for (let round = 0; round < 3; round++) {
      const cp = await start(port);
      expect(cp, JSON.stringify(cp)).toMatchObject({ type: 'listening', grpc: port });
      if (cp.type !== 'listening') return;
      // Clients hold connections: the kill leaves their sockets (and TIME_WAIT) behind on the port.
      for (let i = 0; i < 5; i++) await connected(port);
      const exited = once(cp.child, 'exit');
      cp.child.kill('SIGKILL');
      await exited;
    }
  });
});

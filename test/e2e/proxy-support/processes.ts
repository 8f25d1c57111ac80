/** Spawns `weft proxy` processes (built dist) and reads their JSON "listening" line. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const WEFT_BIN = fileURLToPath(new URL('../../../packages/cli/bin/weft.js', import.meta.url));

export interface ProxyProcess {
  readonly child: ChildProcess;
  readonly ports: { inbound: number; outbound: number; admin: number; upstreams: Record<string, number> };
  stderr(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startProxy(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProxyProcess> {
  const child = spawn(process.execPath, [WEFT_BIN, 'proxy', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  let out = '';
  const ports = await new Promise<ProxyProcess['ports']>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as ProxyProcess['ports']);
    });
    child.once('exit', (code) => reject(new Error(`weft proxy exited with ${code}: ${err}`)));
  });
  return {
    child,
    ports,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

/**
 * `weft proxy` as a real process with tracing flags and OTEL_* variables: its spans reach an
 * OTLP receiver with the workload's resource, and a malformed flag is a usage error.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../support/otlp-receiver.js';

const bin = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function app(): Promise<number> {
  const server = http.createServer((_req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** Starts `weft proxy` and resolves with the ports from its `listening` line. */
async function proxy(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; upstreams: Record<string, number> }> {
  const child = spawn(process.execPath, [bin, 'proxy', ...args], {
    env: { ...process.env, WEFT_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  closers.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const event = JSON.parse(line) as { event: string; upstreams: Record<string, number> };
    if (event.event === 'listening') return { child, upstreams: event.upstreams };
  }
  throw new Error('weft proxy exited before listening');
}

const common = (appPort: number) => [
  '--namespace',
  'shop',
  '--service',
  'web',
  '--workload',
  'web-7c9d',
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
  '--upstream',
  `127.0.0.1:${appPort}=127.0.0.1:0`,
];

describe('weft proxy tracing', () => {
  it.each([
    [
      '--otlp flags',
      'http',
      (r: { httpEndpoint: string }) => ({ args: ['--otlp', r.httpEndpoint], env: {} }),
    ],
    [
      'OTEL_EXPORTER_OTLP_* variables',
      'grpc',
      (r: { grpcUrl: string }) => ({
        args: [],
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: r.grpcUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      }),
    ],
  ] as const)(
    'exports spans configured by %s with the workload resource',
    async (_name, transport, configure) => {
      const receiver = await startOtlpReceiver();
      closers.push(() => receiver.close());
      const appPort = await app();
      const { args, env } = configure(receiver);
      const { child, upstreams } = await proxy([...common(appPort), ...args, '--trace-sampling', '1'], env);
      const port = upstreams[`127.0.0.1:${appPort}`];
      const status = await new Promise<number>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: '/hello', agent: false }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          })
          .on('error', reject);
      });
      expect(status).toBe(200);
      // SIGTERM drains and flushes the queued spans before the process exits.
      child.kill('SIGTERM');
      const spans = await receiver.waitFor((s) => s.length >= 2);
      await once(child, 'exit');
      expect(spans.map((s) => s.kind).sort()).toEqual(['client', 'server']);
      expect(spans[0]?.traceId).toBe(spans[1]?.traceId);
      for (const s of spans) {
        expect(s.transport).toBe(transport);
        expect(s.resource).toMatchObject({
          'service.name': 'web',
          'k8s.namespace.name': 'shop',
          'k8s.pod.name': 'web-7c9d',
          'service.version': '0.1.0',
        });
      }
    },
  );

  it('exits 2 naming the flag or variable of a malformed tracing setting', () => {
    const run = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [bin, 'proxy', ...common(1), ...args], {
        encoding: 'utf8',
        timeout: 20_000,
        env: { ...process.env, ...env },
      });
    const badRatio = run(['--otlp', 'http://127.0.0.1:1', '--trace-sampling', '2']);
    expect(badRatio.status).toBe(2);
    expect(badRatio.stderr).toMatch(/--trace-sampling: sampling ratio must be a number from 0 to 1/);
    const badProtocol = run(['--otlp-protocol', 'udp']);
    expect(badProtocol.status).toBe(2);
    expect(badProtocol.stderr).toMatch(/--otlp-protocol/);
    const badEnv = run([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector:21' });
    expect(badEnv.status).toBe(2);
    expect(badEnv.stderr).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});

// A real kube-apiserver for tests (the envtest convention: KUBEBUILDER_ASSETS holds kube-apiserver,
// etcd and kubectl). Starts etcd and the API server on free loopback ports with a fresh data dir,
// waits for /readyz, writes a kubeconfig, can stop and restart the API server (outage tests), and
// removes everything on close. Processes are stopped by PID: SIGTERM, then SIGKILL.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ApiServerFiles,
  type EnvtestAssets,
  envtestAssets,
  freePort,
  kubeconfigYaml,
  writeApiServerFiles,
} from './envtest-files.js';

export { type EnvtestAssets, envtestAssets };

/** What a kubectl run or an API request returned. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** An HTTP answer of the API server, the body parsed when it is JSON. */
export interface ApiResponse {
  readonly status: number;
  readonly body: any;
  readonly headers: Record<string, string | string[] | undefined>;
}

const STOP_GRACE_MS = 5_000;
const READY_TIMEOUT_MS = 60_000;

/** Every process a harness in this test process started, killed if the test process exits early. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

/** One child process with its output in a log file; stopped by PID. */
class Managed {
  private readonly proc: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    bin: string,
    args: string[],
    readonly logFile: string,
  ) {
    const fd = openSync(logFile, 'a');
    // stdin closed, stdout/stderr to the log; libuv opens every other fd close-on-exec, so the
    // child inherits nothing else (no vitest IPC channel, no sockets).
    this.proc = spawn(bin, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    running.add(this.proc);
    this.exited = new Promise((resolve) =>
      this.proc.once('exit', () => {
        running.delete(this.proc);
        resolve();
      }),
    );
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** The last lines of the log, for failure messages. */
  tail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (this.alive) this.proc.kill('SIGKILL');
        resolve();
      }, STOP_GRACE_MS);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    await this.exited;
  }
}

/** Options of {@link Envtest.start}. */
export interface EnvtestOptions {
  /** Extra kube-apiserver flags (`--name=value`). */
  readonly apiServerFlags?: readonly string[];
}

/** A running etcd + kube-apiserver pair on loopback. Create with {@link Envtest.start}. */
export class Envtest {
  private apiServer: Managed | undefined;
  private apiServerStarts = 0;

  private constructor(
    private readonly assets: Extract<EnvtestAssets, { type: 'ok' }>,
    readonly dir: string,
    private readonly etcd: Managed,
    private readonly etcdUrl: string,
    readonly port: number,
    readonly files: ApiServerFiles,
    /** Path of a kubeconfig with cluster-admin rights (system:masters). */
    readonly kubeconfigPath: string,
    private readonly options: EnvtestOptions,
  ) {}

  /** The API server's URL, https://127.0.0.1:PORT. */
  get server(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Starts etcd and the API server and waits until /readyz answers 200. */
  static async start(
    assets: Extract<EnvtestAssets, { type: 'ok' }>,
    options: EnvtestOptions = {},
  ): Promise<Envtest> {
    const dir = mkdtempSync(join(tmpdir(), 'weft-envtest-'));
    const [clientPort, peerPort, port] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = new Managed(
      'etcd',
      assets.etcd,
      [
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`,
        '--log-level=warn',
      ],
      join(dir, 'etcd.log'),
    );
    let files: ApiServerFiles;
    try {
      files = writeApiServerFiles(dir);
    } catch (err) {
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYaml(`https://127.0.0.1:${port}`, files.caPem, files.token), {
      mode: 0o600,
    });
    const env = new Envtest(assets, dir, etcd, etcdUrl, port, files, kubeconfigPath, options);
    try {
      await env.startApiServer();
    } catch (err) {
      await env.close();
      throw err;
    }
    return env;
  }

  /** Starts (or restarts, on the same port and etcd) the API server and waits for /readyz. */
  async startApiServer(): Promise<void> {
    if (this.apiServer?.alive === true) throw new Error('the API server is already running');
    const f = this.files;
    this.apiServerStarts++;
    const server = new Managed(
      'kube-apiserver',
      this.assets.kubeApiserver,
      [
        `--etcd-servers=${this.etcdUrl}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${this.port}`,
        `--tls-cert-file=${f.certFile}`,
        `--tls-private-key-file=${f.keyFile}`,
        `--token-auth-file=${f.tokenFile}`,
        '--authorization-mode=RBAC',
        `--service-account-key-file=${f.saPublicKey}`,
        `--service-account-signing-key-file=${f.saPrivateKey}`,
        `--service-account-issuer=https://127.0.0.1:${this.port}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        `--cert-dir=${join(this.dir, 'certs')}`,
        '--v=0',
        ...(this.options.apiServerFlags ?? []),
      ],
      join(this.dir, `kube-apiserver.${this.apiServerStarts}.log`),
    );
    this.apiServer = server;
    await this.waitReady(server);
  }

  /** Stops the API server (etcd keeps running); resolves once its process has exited. */
  async stopApiServer(): Promise<void> {
    await this.apiServer?.stop();
  }

  /** kube-apiserver's PID, while it runs. */
  get apiServerPid(): number | undefined {
    return this.apiServer?.alive === true ? this.apiServer.pid : undefined;
  }

  /** Stops both processes and removes the data dir, certificates and logs. */
  async close(): Promise<void> {
    await this.apiServer?.stop();
    await this.etcd.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs kubectl against this API server; `input` goes to its stdin. */
  kubectl(args: readonly string[], input?: string): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const p = spawn(this.assets.kubectl, [`--kubeconfig=${this.kubeconfigPath}`, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      p.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
      });
      p.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      p.once('error', reject);
      p.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      p.stdin.end(input ?? '');
    });
  }

  /** One authenticated request to the API server (JSON in, JSON out when the answer is JSON). */
  api(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          ca: this.files.caPem,
          headers: {
            authorization: `Bearer ${this.files.token}`,
            accept: 'application/json',
            ...(payload === undefined
              ? {}
              : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
          },
          timeout: 10_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => {
            text += d;
          });
          res.on('end', () => {
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON (e.g. /readyz): keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
          });
        },
      );
      req.once('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.once('error', reject);
      req.end(payload);
    });
  }

  private async waitReady(server: Managed): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (!server.alive || !this.etcd.alive) {
        const who = server.alive ? this.etcd : server;
        throw new Error(`${who.name} exited before the API server was ready:\n${who.tail()}`);
      }
      const r = await this.api('GET', '/readyz').catch(() => undefined);
      if (r?.status === 200) return;
      if (Date.now() > deadline)
        throw new Error(`kube-apiserver not ready after ${READY_TIMEOUT_MS} ms:\n${server.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * The title of a suite that needs a real API server. When it skips, the title says why and one
 * line on stderr says so too (the default reporter does not print the titles of skipped suites).
 */
export function envtestSuiteTitle(title: string, assets: EnvtestAssets): string {
  if (assets.type === 'ok') return `${title} (real kube-apiserver)`;
  process.stderr.write(`skipping "${title}": ${assets.reason}\n`);
  return `${title} — skipped: ${assets.reason}`;
}

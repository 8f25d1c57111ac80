/** gRPC test plumbing: server credentials that ask for (but do not require) client certificates, and a discovery client. */
import { type ChannelCredentials, credentials, experimental, type ServerCredentials } from '@grpc/grpc-js';
import {
  type DiscoveryClient,
  type DiscoveryRequest,
  type DiscoveryResponse__Output,
  loadDiscoveryProto,
} from '@weft/api';
import type { KeyPair, TestPki } from './certs.js';

class StaticProvider implements experimental.CertificateProvider {
  constructor(
    private readonly ca: Buffer | undefined,
    private readonly pair: KeyPair | undefined,
  ) {}
  addCaCertificateListener(l: experimental.CaCertificateUpdateListener): void {
    // Asynchronously: grpc-js registers its watcher only after adding the listener.
    const ca = this.ca;
    if (ca !== undefined) setImmediate(() => l({ caCertificate: ca }));
  }
  removeCaCertificateListener(): void {}
  addIdentityCertificateListener(l: experimental.IdentityCertificateUpdateListener): void {
    const pair = this.pair;
    if (pair !== undefined) setImmediate(() => l({ certificate: pair.cert, privateKey: pair.key }));
  }
  removeIdentityCertificateListener(): void {}
}

/** TLS on the server; a client certificate is requested, verified when given, and optional. */
export function serverCredentials(pki: TestPki): ServerCredentials {
  // grpc-js 1.14 passes its first two arguments to the constructor swapped: the identity
  // provider goes first in practice (see ARCHITECTURE.md, library notes).
  return experimental.createCertificateProviderServerCredentials(
    new StaticProvider(undefined, pki.server),
    new StaticProvider(pki.ca, undefined),
    false,
  );
}

export function clientCredentials(pki: TestPki, identity?: string): ChannelCredentials {
  if (identity === undefined) return credentials.createSsl(pki.ca);
  const pair = pki.client(identity);
  return credentials.createSsl(pki.ca, pair.key, pair.cert);
}

/** A discovery stream under test: responses are queued; `next()` waits for the next one. */
export class TestStream {
  private readonly responses: DiscoveryResponse__Output[] = [];
  private waiters: ((r: DiscoveryResponse__Output) => void)[] = [];
  private endWaiters: ((e: { code: number; details: string }) => void)[] = [];
  ended: { code: number; details: string } | undefined;
  private readonly call;

  constructor(
    readonly client: DiscoveryClient,
    options: { paused?: boolean } = {},
  ) {
    this.call = client.Stream();
    this.call.on('data', (r: DiscoveryResponse__Output) => {
      const w = this.waiters.shift();
      if (w !== undefined) w(r);
      else this.responses.push(r);
    });
    this.call.on('error', (e: { code: number; details: string }) => {
      this.ended = { code: e.code, details: e.details };
      for (const w of this.endWaiters.splice(0)) w(this.ended);
    });
    this.call.on('end', () => {
      this.ended ??= { code: 0, details: '' };
      for (const w of this.endWaiters.splice(0)) w(this.ended as { code: number; details: string });
    });
    if (options.paused === true) this.call.pause();
  }

  send(req: DiscoveryRequest): void {
    this.call.write(req);
  }

  next(): Promise<DiscoveryResponse__Output> {
    const r = this.responses.shift();
    if (r !== undefined) return Promise.resolve(r);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Responses received and not yet taken with next(). */
  get buffered(): number {
    return this.responses.length;
  }

  /** Waits for the stream to end (status code and details). */
  done(): Promise<{ code: number; details: string }> {
    if (this.ended !== undefined) return Promise.resolve(this.ended);
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }

  pause(): void {
    this.call.pause();
  }

  resume(): void {
    this.call.resume();
  }

  close(): void {
    this.call.end();
    this.call.cancel();
  }
}

/** A discovery client for `127.0.0.1:port` with the given client identity (or none). */
export function discoveryClient(port: number, pki: TestPki, identity?: string): DiscoveryClient {
  const Discovery = loadDiscoveryProto().weft.discovery.v1alpha1.Discovery;
  return new Discovery(`127.0.0.1:${port}`, clientCredentials(pki, identity));
}

/**
 * The gateway's client-facing TLS in weft's native addon (native/tls-front/tls_front.c), and the
 * stream JavaScript sees for each connection.
 *
 * Why not node:tls: `npm run bench:gateway` measures a bare node:tls server (no HTTP at all) at
 * 0.68-0.74x HAProxy's new handshakes per CPU-second; OpenSSL and the kernel cost the same in
 * both, and the rest is the JavaScript and GC of a net.Socket plus a TLSSocket per connection.
 * The addon accepts and handshakes in C with the OpenSSL Node links, and JavaScript meets a
 * connection only once its handshake is done, as a {@link NativeTlsSocket}: a Duplex with the
 * Socket members the HTTP/1 and HTTP/2 servers use. Without the addon (not built, another
 * platform, or `WEFT_GATEWAY_TLS=node`) the gateway uses node:tls, with the same behavior.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { DEFAULT_CIPHERS } from 'node:tls';

/** Built by `npm run build:native`; the same relative path holds from src/gateway/ and dist/gateway/. */
const ADDON_PATH = '../../native/tls-front/build/Release/tls_front.node';

type Opaque<T extends string> = object & { readonly __opaque?: T };
/** A native SSL_CTX holding one certificate chain and key. */
export type NativeContext = Opaque<'ctx'>;
type NativeListener = Opaque<'listener'>;

interface TlsFrontAddon {
  readonly openssl: string;
  init(callbacks: Callbacks): void;
  createContext(chainPem: string, keyPem: string, ciphers: string, suites: string): NativeContext;
  listen(
    id: number,
    host: string,
    port: number,
    backlog: number,
    handshakeMs: number,
    maxConnections: number,
    ciphers: string,
    suites: string,
    alpn: Buffer,
  ): NativeListener;
  listenerPort(l: NativeListener): number;
  setDefault(l: NativeListener, ctx: NativeContext | null): void;
  closeListener(l: NativeListener): void;
  /** Strings are written as latin1. */
  write(id: number, chunk: Buffer | string): number;
  writev(id: number, chunks: (Buffer | string)[]): number;
  shutdown(id: number): void;
  close(id: number): void;
  readStart(id: number): void;
  readStop(id: number): void;
  bytes(id: number): [number, number];
}

interface Callbacks {
  onConnection(
    listener: number,
    id: number,
    alpn: string,
    servername: string,
    address: string,
    port: number,
  ): void;
  onData(id: number, chunk: Buffer): void;
  onEnd(id: number): void;
  onDrain(id: number): void;
  onShutdown(id: number): void;
  onClose(id: number, code: string | undefined, bytesRead: number, bytesWritten: number): void;
  onFailure(listener: number, reason: string): void;
  onServername(listener: number, name: string): NativeContext | undefined;
}

/** What a native listener reports to its owner. */
export interface NativeTlsHandlers {
  /** A handshake completed; the socket is flowing. */
  secureConnection(socket: NativeTlsSocket): void;
  /** A handshake failed (`reason`: a bounded label) or a connection was refused ('max-connections'). */
  failure(reason: string): void;
  /** The context for a ClientHello's SNI name, or undefined to refuse the handshake. */
  servername(name: string): NativeContext | undefined;
}

export interface NativeListenOptions {
  readonly host: string;
  readonly port: number;
  readonly handshakeTimeoutMs: number;
  readonly maxConnections: number;
  /** ALPN protocols in the server's order of preference. */
  readonly alpn: readonly string[];
}

/** Node's default TLS 1.2 cipher list and TLS 1.3 suites, as node:tls servers use them. */
function defaultCiphers(): { ciphers: string; suites: string } {
  const all = DEFAULT_CIPHERS.split(':');
  return {
    ciphers: all.filter((c) => !c.startsWith('TLS_')).join(':'),
    suites: all.filter((c) => c.startsWith('TLS_')).join(':'),
  };
}

let disabled = process.env.WEFT_GATEWAY_TLS === 'node';
let front: TlsFront | null | undefined;

/** Makes the gateway use node:tls (`true`) or the addon when built (`false`): tests and A/B runs. */
export function setNativeTlsDisabled(off: boolean): void {
  disabled = off;
}

/** True when turned off (by WEFT_GATEWAY_TLS=node or {@link setNativeTlsDisabled}). */
export function nativeTlsDisabled(): boolean {
  return disabled;
}

/** The native TLS front, or undefined when the addon is not built, cannot load, or is disabled. */
export function nativeTls(): TlsFront | undefined {
  if (disabled) return undefined;
  if (front !== undefined) return front ?? undefined;
  front = null;
  if (process.platform !== 'linux') return undefined;
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Partial<TlsFrontAddon>;
    if (typeof addon.init === 'function' && typeof addon.bytes === 'function')
      front = new TlsFront(addon as TlsFrontAddon);
  } catch {
    // Not built (or built for another platform): node:tls serves.
  }
  return front ?? undefined;
}

/** Where this process's gateway ends client TLS: 'native' (the addon) or 'node' (node:tls). */
export function gatewayTls(): 'native' | 'node' {
  return nativeTls() === undefined ? 'node' : 'native';
}

/** The addon's one set of callbacks, dispatching to listeners and sockets by id. */
export class TlsFront {
  private readonly listeners = new Map<number, NativeTlsHandlers>();
  private readonly sockets = new Map<number, NativeTlsSocket>();
  private nextListener = 1;
  private readonly cipherConfig = defaultCiphers();

  constructor(readonly addon: TlsFrontAddon) {
    addon.init({
      onConnection: (listener, id, alpn, servername, address, port) => {
        const h = this.listeners.get(listener);
        if (h === undefined) {
          addon.close(id);
          return;
        }
        const socket = new NativeTlsSocket(this, id, alpn, servername, address, port);
        this.sockets.set(id, socket);
        try {
          h.secureConnection(socket);
        } catch (err) {
          // A bug in the handler costs this connection, not the process (the addon would
          // otherwise raise it as an uncaught exception).
          socket.destroy();
          process.emitWarning(err instanceof Error ? err : new Error(String(err)), 'WeftNativeTlsWarning');
        }
      },
      onData: (id, chunk) => this.sockets.get(id)?.received(chunk),
      onEnd: (id) => this.sockets.get(id)?.push(null),
      onDrain: (id) => this.sockets.get(id)?.drained(),
      onShutdown: (id) => this.sockets.get(id)?.shutDown(),
      onClose: (id, code, bytesRead, bytesWritten) => {
        const s = this.sockets.get(id);
        this.sockets.delete(id);
        s?.closedByPeer(code, bytesRead, bytesWritten);
      },
      onFailure: (listener, reason) => {
        // The addon freed a closed listener: its last connection is gone.
        if (reason === 'listener-closed') this.listeners.delete(listener);
        else this.listeners.get(listener)?.failure(reason);
      },
      onServername: (listener, name) => {
        try {
          return this.listeners.get(listener)?.servername(name);
        } catch {
          return undefined;
        }
      },
    });
  }

  get openssl(): string {
    return this.addon.openssl;
  }

  /** A native context for a PEM chain and key (throws ERR_WEFT_TLS naming what is wrong). */
  context(chainPem: string, keyPem: string): NativeContext {
    return this.addon.createContext(chainPem, keyPem, this.cipherConfig.ciphers, this.cipherConfig.suites);
  }

  /** Binds and listens; throws the bind error (e.g. EADDRINUSE), or RangeError for a bad port. */
  listen(o: NativeListenOptions, handlers: NativeTlsHandlers): NativeTlsServer {
    if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)
      throw Object.assign(new RangeError(`port must be an integer in 0-65535, not ${o.port}`), {
        code: 'ERR_SOCKET_BAD_PORT',
      });
    // As net.Server#maxConnections: Infinity (or anything past the addon's range) is no cap.
    const maxConnections = Number.isFinite(o.maxConnections)
      ? Math.max(0, Math.min(Math.floor(o.maxConnections), 0xffffffff))
      : 0xffffffff;
    const handshakeMs = Math.max(1, Math.min(Math.floor(o.handshakeTimeoutMs), 0xffffffff));
    const id = this.nextListener++;
    const wire = Buffer.concat(
      o.alpn.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])),
    );
    const handle = this.addon.listen(
      id,
      o.host,
      o.port,
      511,
      handshakeMs,
      maxConnections,
      this.cipherConfig.ciphers,
      this.cipherConfig.suites,
      wire,
    );
    this.listeners.set(id, handlers);
    return new NativeTlsServer(this, handle, this.addon.listenerPort(handle));
  }

  /** @internal */
  forgetSocket(id: number): void {
    this.sockets.delete(id);
  }
}

/** A chunk the addon takes: Buffers, and strings whose encoding is latin1 (others become Buffers). */
function latin1OrBuffer(chunk: Buffer | string, encoding: BufferEncoding): Buffer | string {
  if (typeof chunk !== 'string' || encoding === 'latin1' || encoding === 'binary') return chunk;
  return Buffer.from(chunk, encoding);
}

/**
 * One listening port. Its handlers stay registered after close() until the addon has freed it,
 * so handshakes accepted before close() complete and are served.
 */
export class NativeTlsServer {
  private closed = false;

  constructor(
    private readonly front: TlsFront,
    private readonly handle: NativeListener,
    /** The port bound (the addon's listener may be freed after close(): never asked again). */
    readonly port: number,
  ) {}

  /** The context for handshakes without SNI (null: such handshakes fail). */
  setDefault(ctx: NativeContext | null): void {
    if (!this.closed) this.front.addon.setDefault(this.handle, ctx);
  }

  /** Stops accepting; open connections go on until they close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.front.addon.closeListener(this.handle);
  }
}

/**
 * One TLS connection after its handshake: plaintext in and out, with the members of
 * net.Socket / tls.TLSSocket that weft's HTTP/1 and HTTP/2 servers use.
 */
export class NativeTlsSocket extends Duplex {
  readonly encrypted = true;
  readonly alpnProtocol: string | false;
  readonly servername: string | false;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pendingWrite: ((err?: Error | null) => void) | undefined;
  private pendingFinal: ((err?: Error | null) => void) | undefined;
  private gone = false;
  private finalRead = 0;
  private finalWritten = 0;

  constructor(
    private readonly front: TlsFront,
    private readonly id: number,
    alpn: string,
    servername: string,
    address: string,
    port: number,
  ) {
    // Not half-open, as node:tls server sockets: the client's end of input ends ours too.
    // Strings reach the addon as they are (latin1 heads need no Buffer); others are converted in _write.
    super({ allowHalfOpen: false, decodeStrings: false });
    this.alpnProtocol = alpn === '' ? false : alpn;
    this.servername = servername === '' ? false : servername;
    this.remoteAddress = address === '' ? undefined : address;
    this.remotePort = address === '' ? undefined : port;
    this.remoteFamily = address === '' ? undefined : address.includes(':') ? 'IPv6' : 'IPv4';
  }

  /** Typed as the net.Socket it stands in for (the members the proxy uses are implemented here). */
  asSocket(): Socket {
    return this as unknown as Socket;
  }

  get bytesRead(): number {
    return this.gone ? this.finalRead : this.front.addon.bytes(this.id)[0];
  }

  get bytesWritten(): number {
    return this.gone ? this.finalWritten : this.front.addon.bytes(this.id)[1];
  }

  /** Nagle is always off on these connections. */
  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  /** As net.Socket#setTimeout: 'timeout' after `ms` without reads or writes (0 turns it off). */
  setTimeout(ms: number, callback?: () => void): this {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (callback !== undefined) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    if (ms > 0 && !this.destroyed) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.emit('timeout');
      }, ms);
      this.timer.unref();
    }
    return this;
  }

  private touch(): void {
    this.timer?.refresh();
  }

  /** @internal Plaintext from the addon. */
  received(chunk: Buffer): void {
    this.touch();
    if (!this.push(chunk)) this.front.addon.readStop(this.id);
  }

  /** @internal The kernel took every queued byte. */
  drained(): void {
    const cb = this.pendingWrite;
    this.pendingWrite = undefined;
    cb?.();
  }

  /** @internal close_notify and FIN are out. */
  shutDown(): void {
    const cb = this.pendingFinal;
    this.pendingFinal = undefined;
    cb?.();
  }

  /** @internal The addon closed the connection (a reset, a bad record, a write error). */
  closedByPeer(code: string | undefined, bytesRead: number, bytesWritten: number): void {
    this.gone = true;
    this.finalRead = bytesRead;
    this.finalWritten = bytesWritten;
    const err =
      code === undefined
        ? null
        : Object.assign(new Error(`TLS connection ${code}`), { code, syscall: 'read' });
    this.pendingWrite = undefined;
    this.pendingFinal = undefined;
    this.destroy(err ?? undefined);
  }

  override _read(): void {
    if (!this.gone) this.front.addon.readStart(this.id);
  }

  override _write(chunk: Buffer | string, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.touch();
    this.afterWrite(this.gone ? -1 : this.front.addon.write(this.id, latin1OrBuffer(chunk, encoding)), cb);
  }

  override _writev(
    chunks: { chunk: Buffer | string; encoding: BufferEncoding }[],
    cb: (err?: Error | null) => void,
  ): void {
    this.touch();
    const list = chunks.map((c) => latin1OrBuffer(c.chunk, c.encoding));
    this.afterWrite(this.gone ? -1 : this.front.addon.writev(this.id, list), cb);
  }

  private afterWrite(queued: number, cb: (err?: Error | null) => void): void {
    if (queued < 0) cb(Object.assign(new Error('write after the TLS connection closed'), { code: 'EPIPE' }));
    else if (queued === 0) cb();
    else this.pendingWrite = cb;
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.gone) {
      cb();
      return;
    }
    this.pendingFinal = cb;
    this.front.addon.shutdown(this.id);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.gone) {
      const [r, w] = this.front.addon.bytes(this.id);
      this.finalRead = r;
      this.finalWritten = w;
      this.gone = true;
      this.front.forgetSocket(this.id);
      this.front.addon.close(this.id);
    }
    // A write or end still waiting on the kernel never completes: the stream is destroyed.
    this.pendingWrite = undefined;
    this.pendingFinal = undefined;
    cb(err);
  }

  /** The addon's handles keep the loop alive while open, as a listening server's sockets do. */
  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}

/**
 * A gateway request over HTTP/1 as the outbound path sees it (see derived-exchange.ts): an
 * Http1Request over the original's state, with the edited head and path, on a view of the
 * client connection that names the backend and edits the response head on its way back.
 *
 * Plain classes rather than a Proxy over the original: this runs for every request through
 * the gateway, and a Proxy's traps (a bound function per method read) cost about a tenth of
 * the gateway's CPU at its maximum rate (measured with `npm run bench:gateway`).
 */
import type { Socket } from 'node:net';
import type { WeftError } from '@weft/core';
import type { BodyTarget } from '../http1/body-target.js';
import type { ClientConnection, Http1ConnectionInfo } from '../http1/client-connection.js';
import type { MessageHead } from '../http1/head-parser.js';
import type { Http1Pool } from '../http1/pool.js';
import { Http1Request } from '../http1/request.js';
import type { ClientBodyMode } from '../http1/serialize.js';
import type { AttemptChannel, AttemptObserver, AttemptOptions } from '../layers/types.js';
import { type ExchangeEdits, isInternal, teeTarget } from './exchange-edits.js';
import { withFixedTimeout } from './fixed-timeout.js';
import { applyHeaderModifier, flatHeaderBag } from './header-bag.js';

/** The client connection as the backend's exchange sees it: another name, edited response heads. */
class EditedConnection implements ClientConnection {
  constructor(
    private readonly conn: ClientConnection,
    readonly info: Http1ConnectionInfo,
    private readonly edits: ExchangeEdits,
  ) {}

  get socket(): Socket {
    return this.conn.socket;
  }
  get mode(): ClientBodyMode {
    return this.conn.mode;
  }
  get pool(): Http1Pool {
    return this.conn.pool;
  }

  fail(error: WeftError, extraHeaders?: readonly string[]): void {
    this.conn.fail(error, extraHeaders);
  }

  /** The body is read once however many attempts there are: a mirror's tap is put where it is read. */
  attachBody(target: BodyTarget): void {
    const tap = this.edits.bodyTap;
    this.conn.attachBody(tap === undefined ? target : teeTarget(target, tap));
  }

  writeInterim(head: MessageHead): void {
    this.conn.writeInterim(head);
  }

  /** The response head without the mesh's internal headers, with the route's response modifiers. */
  writeHead(head: MessageHead): void {
    const modifiers = this.edits.responseModifiers;
    const list = head.headers;
    let internal = false;
    for (let i = 0; i < list.length && !internal; i += 2)
      internal = isInternal((list[i] as string).toLowerCase());
    if (!internal && modifiers.length === 0) {
      this.conn.writeHead(head);
      return;
    }
    const out: string[] = [];
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i] as string;
      if (!isInternal(name.toLowerCase())) out.push(name, list[i + 1] as string);
    }
    const bag = flatHeaderBag(out);
    for (const m of modifiers) applyHeaderModifier(bag, m);
    this.conn.writeHead({ ...head, headers: out });
  }

  flushHead(): void {
    this.conn.flushHead();
  }
  writeBody(chunk: Buffer): boolean {
    return this.conn.writeBody(chunk);
  }
  endResponse(): void {
    this.conn.endResponse();
  }
  takeOver(): { socket: Socket; pending: Buffer } {
    return this.conn.takeOver();
  }
  destroy(): void {
    this.conn.destroy();
  }
}

/** The backend's request: the original's state, the edited head, the route's timeout. */
class GatewayHttp1Request extends Http1Request {
  constructor(
    orig: Http1Request,
    conn: ClientConnection,
    head: MessageHead,
    path: string,
    private readonly fixedTimeoutMs: number,
  ) {
    super(conn, head, path, orig.direction, orig.startedAt, orig.sharedState());
  }

  /** A backend outside the mesh takes the single-attempt path, which has no deadline: the route's. */
  override attempts(observer: AttemptObserver, options: AttemptOptions): AttemptChannel | undefined {
    return withFixedTimeout(this.fixedTimeoutMs, this.destination, observer, (o) =>
      super.attempts(o, options),
    );
  }
}

/** `orig` with `edits` applied. */
export function deriveHttp1(orig: Http1Request, edits: ExchangeEdits): Http1Request {
  const headers = orig.head.headers.slice();
  const bag = flatHeaderBag(headers);
  edits.editHeaders(bag);
  if (edits.host !== undefined) bag.set('host', edits.host);
  const head: MessageHead = {
    ...orig.head,
    headers,
    target: edits.target ?? orig.head.target,
    host: edits.host?.toLowerCase() ?? orig.head.host,
  };
  const info = orig.conn.info;
  const conn = new EditedConnection(
    orig.conn,
    { peer: info.peer, name: edits.name, port: info.port, egress: edits.egress },
    edits,
  );
  return new GatewayHttp1Request(orig, conn, head, edits.target ?? orig.path, edits.fixedTimeoutMs);
}

/**
 * Builds the copies of one request for its route's RequestMirror filters: the HTTP/1.1 head the
 * mirror is sent (the client's edited headers, Host, target; a gRPC call's copy goes as HTTP/2
 * with the same edits) and, for a request with a body, the
 * {@link BodyTap} that copies the body as the backend reads it. A copy is sent once its body is
 * complete; a body that cannot be held (mirror-body.ts) is counted and not mirrored.
 */
import type { OutgoingHttpHeaders } from 'node:http2';
import type { Random } from '@weft/core';
import type { MessageHead } from '../http1/head-parser.js';
import type { Http1Request } from '../http1/request.js';
import type { H2Request } from '../http2/h2-request.js';
import { H2_HOP_BY_HOP } from '../http2/hop-by-hop.js';
import type { Exchange } from '../layers/types.js';
import type { CompiledFilter } from './compiled.js';
import type { BodyTap } from './exchange-edits.js';
import { http1HeadFor } from './h2-downgrade.js';
import { flatHeaderBag, type HeaderBag, objectHeaderBag } from './header-bag.js';
import type { Mirror } from './mirror.js';
import { BodyCopy, MAX_MIRROR_BODY_BYTES } from './mirror-body.js';

export type MirrorFilter = Extract<CompiledFilter, { type: 'mirror' }>;

export interface MirrorCopyInput {
  readonly mirror: Mirror;
  readonly random: Random;
  readonly filters: readonly MirrorFilter[];
  /** The route's new Host and target (undefined: as the client sent them). */
  readonly host: string | undefined;
  readonly target: string | undefined;
  /** The route's request header edits (forwarded headers, header filters). */
  readonly editHeaders: (headers: HeaderBag) => void;
  /** A gRPC call (a GRPCRoute, or a gRPC content type): its copies go over HTTP/2. */
  readonly grpc: boolean;
}

/**
 * Sends or prepares the copies of `req`. Returns the tap for its body when copies wait for it
 * (the caller passes it to the derived exchange); undefined when nothing more is to be done.
 */
export function mirrorCopies(req: Exchange, input: MirrorCopyInput): BodyTap | undefined {
  const authorities = input.filters
    .filter((m) => m.numerator >= m.denominator || input.random.next() * m.denominator < m.numerator)
    .map((m) => m.authority);
  if (authorities.length === 0) return undefined;
  const mirror = input.mirror;
  const { head, h2Headers } = mirrorHeads(req, input);
  const peer = req.peer.address;
  const h2 = h2Headers === undefined ? {} : { h2Headers };
  if (head.framing.kind === 'none' || (head.framing.kind === 'length' && head.framing.length === 0)) {
    for (const a of authorities) mirror.send(a, { head, body: [], peer, ...h2 });
    return undefined;
  }
  const declared = declaredLength(req, head);
  if (declared > MAX_MIRROR_BODY_BYTES) {
    for (const _ of authorities) mirror.dropped('too-large');
    return undefined;
  }
  const copy: BodyCopy = new BodyCopy(mirror.budget, {
    complete: (chunks, bytes) => {
      // HTTP/1 keeps the client's framing (the chunks are its bytes); h2 DATA gets a length.
      const sent: MessageHead =
        req.protocol === 'http1'
          ? head
          : { ...head, framing: { kind: 'length', length: bytes }, contentLength: bytes };
      let left = authorities.length;
      const release = () => {
        if (--left === 0) copy.release();
      };
      for (const a of authorities) mirror.send(a, { head: sent, body: chunks, peer, ...h2 }, release);
    },
    dropped: (reason) => {
      for (const _ of authorities) mirror.dropped(reason);
    },
  });
  onFinished(req, () => copy.abandon());
  return copy;
}

/**
 * The head of the copies: the client's, with the route's edits, as HTTP/1.1; and for a gRPC call
 * (an h2 client), the HTTP/2 headers the copies are sent with.
 */
function mirrorHeads(
  req: Exchange,
  input: MirrorCopyInput,
): { head: MessageHead; h2Headers: OutgoingHttpHeaders | undefined } {
  const host = input.host ?? req.authority;
  const target = input.target ?? req.path;
  if (req.protocol === 'http1') {
    const orig = (req as Http1Request).head;
    const headers = [...orig.headers];
    const bag = flatHeaderBag(headers);
    input.editHeaders(bag);
    bag.set('host', host);
    // The copy is sent whole at once: no interim response to wait for.
    bag.remove('expect');
    const head: MessageHead = {
      ...orig,
      headers,
      target,
      host: host.toLowerCase(),
      upgrade: '',
      expectContinue: false,
      close: false,
    };
    return { head, h2Headers: undefined };
  }
  const h2 = req as H2Request;
  const headers: OutgoingHttpHeaders = { ...h2.headers };
  input.editHeaders(objectHeaderBag(headers));
  headers[':authority'] = host;
  headers[':path'] = target;
  delete headers.expect;
  const head = http1HeadFor(headers, h2.stream.endAfterHeaders);
  if (!input.grpc) return { head, h2Headers: undefined };
  // Sent as HTTP/2: its connection-specific headers go (`te: trailers`, which gRPC needs, stays).
  for (const name of H2_HOP_BY_HOP) delete headers[name];
  return { head, h2Headers: headers };
}

/** The body length the client declared (-1: none). */
function declaredLength(req: Exchange, head: MessageHead): number {
  if (head.framing.kind === 'length') return head.framing.length;
  if (req.protocol === 'h2') {
    const v = req.header('content-length');
    if (v !== undefined && /^\d{1,15}$/.test(v)) return Number(v);
  }
  return -1;
}

/** Calls `fn` when the client's exchange is over (its telemetry's `finished`). */
function onFinished(req: Exchange, fn: () => void): void {
  const inner = req.telemetry;
  if (inner === undefined) return;
  req.telemetry = {
    get traceHeaders() {
      return inner.traceHeaders;
    },
    routed: (r, b) => inner.routed(r, b),
    attemptStarted: (u, a) => inner.attemptStarted(u, a),
    attemptEnded: (o, d) => inner.attemptEnded(o, d),
    responded: (status, error) => inner.responded(status, error),
    grpcStatus: (code) => inner.grpcStatus(code),
    finished: () => {
      fn();
      inner.finished();
    },
  };
}

/**
 * A real OTLP trace receiver for tests: the gRPC `opentelemetry.proto.collector.trace.v1.
 * TraceService/Export` method and HTTP `POST /v1/traces` (protobuf, optionally gzip), both
 * decoding the opentelemetry-proto messages with protobufjs reflection (otlp-trace-schema.ts).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { otlpType } from './otlp-trace-schema.js';

// --- The decoded messages (typed here by what this file reads) ---

interface Long {
  toString(): string;
}
interface PbAnyValue {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: number | Long | null;
  doubleValue?: number | null;
  arrayValue?: { values?: PbAnyValue[] | null } | null;
  kvlistValue?: { values?: PbKeyValue[] | null } | null;
  bytesValue?: Uint8Array | null;
}
interface PbKeyValue {
  key: string;
  value?: PbAnyValue | null;
}
interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId?: Uint8Array | null;
  traceState?: string | null;
  name: string;
  kind: number;
  startTimeUnixNano: number | Long;
  endTimeUnixNano: number | Long;
  attributes?: PbKeyValue[] | null;
  status?: { code?: number | null; message?: string | null } | null;
  flags?: number | null;
}
interface PbExportRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: PbKeyValue[] | null } | null;
    scopeSpans?: Array<{
      scope?: { name?: string | null; version?: string | null } | null;
      spans?: PbSpan[] | null;
    }> | null;
  }> | null;
}
const ExportTraceServiceRequest = otlpType<PbExportRequest>(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
);
const ExportTraceServiceResponse = otlpType<{ partialSuccess?: unknown }>(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
);

// --- What tests read ---

/** An attribute value as tests compare it (int64 values become numbers when safe). */
export type AttributeValue = string | number | boolean | bigint | AttributeValue[] | Uint8Array | undefined;

export type ReceivedSpanKind = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
const KINDS: readonly ReceivedSpanKind[] = [
  'unspecified',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
];
const STATUS = ['unset', 'ok', 'error'] as const;

/** One decoded span plus its resource and scope. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly traceState: string;
  readonly name: string;
  readonly kind: ReceivedSpanKind;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly status: { readonly code: 'unset' | 'ok' | 'error'; readonly message: string };
  readonly resource: Readonly<Record<string, AttributeValue>>;
  readonly scope: { readonly name: string; readonly version: string };
  /** Which endpoint of the receiver got it. */
  readonly transport: 'grpc' | 'http';
}

/** How the receiver answers exports: normally, with an error, or never (a hung collector). */
export type ReceiverMode = 'accept' | 'reject' | 'hang';

export interface OtlpReceiver {
  /** For the gRPC exporter: `http://127.0.0.1:PORT`. */
  readonly grpcUrl: string;
  /** For the HTTP exporter: `http://127.0.0.1:PORT/v1/traces`. */
  readonly httpUrl: string;
  /** The HTTP base endpoint (`http://127.0.0.1:PORT`), as `--otlp` takes it. */
  readonly httpEndpoint: string;
  /** Every span received so far, in arrival order. */
  spans(): ReceivedSpan[];
  /** Export requests received, by transport (rejected and hung ones included). */
  readonly requests: { grpc: number; http: number };
  /** Changes how later exports are answered; leaving `hang` fails the held ones (not retryable). */
  setMode(mode: ReceiverMode): void;
  /** Resolves with all spans once `predicate` holds; rejects after `timeoutMs` listing what arrived. */
  waitFor(
    predicate: (spans: readonly ReceivedSpan[]) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedSpan[]>;
  /** Stops both servers (hung exports are answered with an error first). */
  close(): Promise<void>;
}

function hex(bytes: Uint8Array | null | undefined): string {
  return bytes ? Buffer.from(bytes).toString('hex') : '';
}

function int64(v: number | Long | null | undefined): bigint {
  return v === null || v === undefined ? 0n : BigInt(v.toString());
}

/**
 * One AnyValue. Decoded messages hold the member of the `value` oneof that was sent as an own
 * property; the others read as the prototype's defaults, so presence is tested with hasOwn.
 */
function anyValue(v: PbAnyValue | null | undefined): AttributeValue {
  if (!v) return undefined;
  const has = (key: keyof PbAnyValue) => Object.hasOwn(v, key) && v[key] !== null && v[key] !== undefined;
  if (has('stringValue')) return v.stringValue as string;
  if (has('boolValue')) return v.boolValue as boolean;
  if (has('intValue')) {
    const n = int64(v.intValue);
    return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : n;
  }
  if (has('doubleValue')) return v.doubleValue as number;
  if (has('arrayValue')) return (v.arrayValue?.values ?? []).map(anyValue);
  if (has('bytesValue')) return v.bytesValue as Uint8Array;
  return undefined;
}

function attributes(kvs: PbKeyValue[] | null | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of kvs ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

/** Flattens a decoded ExportTraceServiceRequest. */
export function decodeSpans(request: PbExportRequest, transport: 'grpc' | 'http'): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' };
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          traceState: s.traceState ?? '',
          name: s.name,
          kind: KINDS[s.kind] ?? 'unspecified',
          startTimeUnixNano: int64(s.startTimeUnixNano),
          endTimeUnixNano: int64(s.endTimeUnixNano),
          attributes: attributes(s.attributes),
          status: { code: STATUS[s.status?.code ?? 0] ?? 'unset', message: s.status?.message ?? '' },
          resource,
          scope,
          transport,
        });
      }
    }
  }
  return out;
}

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** Starts both endpoints on 127.0.0.1 with ports picked by the OS. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  const requests = { grpc: 0, http: 0 };
  let mode: ReceiverMode = 'accept';
  const hung: Array<() => void> = [];
  const waiters = new Set<() => void>();

  const accept = (spans: ReceivedSpan[]) => {
    received.push(...spans);
    for (const w of [...waiters]) w();
  };

  // gRPC
  const server = new grpc.Server();
  server.addService(
    {
      Export: {
        path: EXPORT_PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: (m: PbExportRequest) => Buffer.from(ExportTraceServiceRequest.encode(m).finish()),
        requestDeserialize: (b: Buffer) => ExportTraceServiceRequest.decode(b),
        responseSerialize: (m: object) => Buffer.from(ExportTraceServiceResponse.encode(m).finish()),
        responseDeserialize: (b: Buffer) => ExportTraceServiceResponse.decode(b),
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<PbExportRequest, object>, callback: grpc.sendUnaryData<object>) => {
        requests.grpc++;
        if (mode === 'reject') {
          callback({ code: grpc.status.UNAVAILABLE, details: 'receiver set to reject' });
          return;
        }
        if (mode === 'hang') {
          // Released with a status the exporter does not retry, so that it gives up at once.
          hung.push(() => callback({ code: grpc.status.INVALID_ARGUMENT, details: 'hung export released' }));
          return;
        }
        accept(decodeSpans(call.request, 'grpc'));
        callback(null, ExportTraceServiceResponse.create({}));
      },
    },
  );
  const grpcPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    );
  });

  // HTTP
  const onHttp = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.http++;
      if ((req.headers['content-type'] ?? '') !== 'application/x-protobuf') {
        res.writeHead(415, { 'content-type': 'text/plain' }).end('only application/x-protobuf');
        return;
      }
      if (mode === 'reject') {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('receiver set to reject');
        return;
      }
      if (mode === 'hang') {
        hung.push(() => res.writeHead(400, { 'content-type': 'text/plain' }).end('hung export released'));
        return;
      }
      let body = Buffer.concat(chunks);
      let decoded: PbExportRequest;
      try {
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        decoded = ExportTraceServiceRequest.decode(body);
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`undecodable: ${String(err)}`);
        return;
      }
      accept(decodeSpans(decoded, 'http'));
      const reply = Buffer.from(
        ExportTraceServiceResponse.encode(ExportTraceServiceResponse.create({})).finish(),
      );
      res
        .writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': reply.length })
        .end(reply);
    });
  };
  const http: Server = createServer(onHttp);
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const httpPort = (http.address() as AddressInfo).port;

  return {
    grpcUrl: `http://127.0.0.1:${grpcPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}/v1/traces`,
    httpEndpoint: `http://127.0.0.1:${httpPort}`,
    spans: () => [...received],
    requests,
    setMode(next) {
      mode = next;
      if (next !== 'hang') for (const release of hung.splice(0)) release();
    },
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(received)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve([...received]);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const got = received.map((s) => `${s.kind} ${s.name} ${s.traceId}/${s.spanId}<-${s.parentSpanId}`);
          reject(
            new Error(`OTLP receiver: condition not met in ${timeoutMs} ms; received:\n${got.join('\n')}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      for (const release of hung.splice(0)) release();
      server.forceShutdown();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

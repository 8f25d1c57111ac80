/**
 * Spans of the control plane, with @opentelemetry/api only: one per discovery push (PRODUCER,
 * from the change to the write), per NACK received, and per Identity.Certify call (SERVER).
 * The binary passes a tracer source; without one, every span is a no-op.
 */
import { ProxyTracerProvider, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';

/** Gives the current tracer (it changes when the tracing config does). */
export type TracerSource = () => Tracer;

const NOOP_TRACER = new ProxyTracerProvider().getTracer('weft-control-plane');

/** A tracer source whose spans are no-ops. */
export const noTracer: TracerSource = () => NOOP_TRACER;

/** Who a discovery stream belongs to. */
export interface StreamPeer {
  readonly proxy: string;
  readonly identity: string;
  readonly namespace: string;
  readonly workload: string;
}

/** One discovery response written to a proxy. */
export interface PushRecord extends StreamPeer {
  readonly nonce: string;
  readonly version: string;
  readonly resources: readonly string[];
  readonly removed: number;
  /** From the config change to the write (ms). */
  readonly latencyMs: number;
  /** False when the stream is blocked (the write was buffered). */
  readonly flushed: boolean;
}

function peerAttributes(peer: StreamPeer) {
  return {
    'weft.proxy.id': peer.proxy,
    'weft.peer.identity': peer.identity,
    'k8s.namespace.name': peer.namespace,
    'weft.workload': peer.workload,
  };
}

/** Records a push: the span starts when the change was applied and ends at the write. */
export function recordPush(tracer: Tracer, push: PushRecord): void {
  const span = tracer.startSpan('weft.discovery.push', {
    kind: SpanKind.PRODUCER,
    startTime: Date.now() - push.latencyMs,
    attributes: {
      ...peerAttributes(push),
      'weft.discovery.nonce': push.nonce,
      'weft.discovery.version': push.version,
      'weft.discovery.resources': push.resources.length,
      'weft.discovery.resource_names': push.resources.slice(0, 16).join(','),
      'weft.discovery.removed': push.removed,
      'weft.discovery.flushed': push.flushed,
    },
  });
  span.end();
}

/** Records a NACK: the proxy rejected a response and keeps its last good config. */
export function recordNack(tracer: Tracer, peer: StreamPeer, nonce: string, detail: string): void {
  const span = tracer.startSpan('weft.discovery.nack', {
    kind: SpanKind.CONSUMER,
    attributes: { ...peerAttributes(peer), 'weft.discovery.nonce': nonce },
  });
  span.setStatus({ code: SpanStatusCode.ERROR, message: detail });
  span.end();
}

/** The span of one Certify call; end it with its outcome. */
export interface CertifySpan {
  issued(identity: string, serial: string): void;
  refused(reason: string, grpcCode: number, message: string): void;
}

/** Starts the span of a Certify call. */
export function startCertifySpan(tracer: Tracer): CertifySpan {
  const span: Span = tracer.startSpan('weft.identity.v1alpha1.Identity/Certify', {
    kind: SpanKind.SERVER,
    attributes: {
      'rpc.system': 'grpc',
      'rpc.service': 'weft.identity.v1alpha1.Identity',
      'rpc.method': 'Certify',
    },
  });
  return {
    issued(identity, serial) {
      span.setAttributes({
        'rpc.grpc.status_code': 0,
        'weft.identity': identity,
        'weft.certificate.serial': serial,
      });
      span.end();
    },
    refused(reason, grpcCode, message) {
      span.setAttributes({ 'rpc.grpc.status_code': grpcCode, 'error.type': reason });
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      span.end();
    },
  };
}

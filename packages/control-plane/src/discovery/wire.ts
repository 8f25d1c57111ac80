/**
 * Encode once, send many: a resource's payload (its destination, inbound policy, …) is serialized
 * once and spliced into every subscriber's response, so a change to a service with many
 * subscribers costs one encoding plus a copy per subscriber. Protobuf fields may appear in any
 * order and length-delimited fields concatenate, which makes the splice exact.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { type DiscoveryResponse, loadDiscoveryProto, type Resource } from '@weft/api';

type Serialize = (value: DiscoveryResponse) => Buffer;

/** Field numbers of Resource's oneof, per kind. */
const KIND_FIELD = {
  destination: 3,
  doesNotExist: 4,
  inboundPolicy: 5,
  meshConfig: 6,
  dnsRecord: 7,
  gatewayConfig: 8,
} as const;
type Kind = keyof typeof KIND_FIELD;

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** A length-delimited field (wire type 2). */
function field(num: number, bytes: Buffer): Buffer[] {
  return [varint((num << 3) | 2), varint(bytes.length), bytes];
}

function stringField(num: number, text: string): Buffer[] {
  return text === '' ? [] : field(num, Buffer.from(text, 'utf8'));
}

function kindOf(r: Resource): Kind | undefined {
  for (const k of Object.keys(KIND_FIELD) as Kind[]) if (r[k] != null) return k;
  return undefined;
}

/** Reads a varint at `at`; returns [value, next offset]. */
function readVarint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  let i = at;
  for (;;) {
    const b = buf[i++] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, i];
    scale *= 128;
  }
}

export class ResponseEncoder {
  /** Encoded oneof fields (tag + length + payload), by the payload object they came from. */
  private readonly payloads = new WeakMap<object, Buffer>();

  constructor(private readonly serialize: Serialize) {}

  /** The Resource's oneof field bytes, encoded once per payload object. */
  private payload(r: Resource): Buffer {
    const kind = kindOf(r);
    if (kind === undefined) return Buffer.alloc(0);
    const value = r[kind] as object;
    const cached = this.payloads.get(value);
    if (cached !== undefined) return cached;
    // Serialize a response holding only this payload: 0x1a <len> [<tag> <len> <payload>]; keep the inner field.
    const whole = this.serialize({ resources: [{ [kind]: value }] });
    const [, start] = readVarint(whole, 1);
    const bytes = whole.subarray(start);
    this.payloads.set(value, bytes);
    return bytes;
  }

  /** Encodes a DiscoveryResponse from resources whose payloads may already be encoded. */
  encode(
    versionInfo: string,
    nonce: string,
    resources: readonly Resource[],
    removed: readonly string[],
  ): Buffer {
    const parts: Buffer[] = [...stringField(1, versionInfo), ...stringField(2, nonce)];
    for (const r of resources) {
      const body = Buffer.concat([
        ...stringField(1, r.name ?? ''),
        ...stringField(2, r.version ?? ''),
        this.payload(r),
      ]);
      parts.push(...field(3, body));
    }
    for (const name of removed) parts.push(...field(4, Buffer.from(name, 'utf8')));
    return Buffer.concat(parts);
  }
}

/** Wraps a response serializer so that pre-encoded Buffers pass through untouched. */
export function passThroughBuffers(serialize: Serialize): (value: DiscoveryResponse | Buffer) => Buffer {
  return (value) => (Buffer.isBuffer(value) ? value : serialize(value));
}

/** The Discovery service definition with a response serializer that lets pre-encoded responses through. */
export function discoveryDefinition(): ServiceDefinition {
  const service = loadDiscoveryProto().weft.discovery.v1alpha1.Discovery.service;
  return {
    ...service,
    Stream: {
      ...service.Stream,
      responseSerialize: passThroughBuffers((v) => service.Stream.responseSerialize(v)),
    },
  } as ServiceDefinition;
}

/**
 * Reads a GatewayConfig written as proto3 JSON (`weft gateway --config FILE`) into the same
 * shape a Discovery push arrives in. protobufjs (the library @grpc/proto-loader is built on)
 * does the conversion; this module adds what its `fromObject` leaves out: unknown fields are
 * rejected with their path, and Durations are read from their JSON text form ("1.5s").
 */
import type { GatewayConfig__Output } from '@weft/api';
import { PROTO_DIR, PROTO_LOADER_OPTIONS } from '@weft/api/proto';
import { WeftError } from '@weft/core';
import protobuf from 'protobufjs';

const CONFIG_TYPE = 'weft.discovery.v1alpha1.GatewayConfig';
const DURATION_TYPE = '.google.protobuf.Duration';

let gatewayType: protobuf.Type | undefined;

function loadType(): protobuf.Type {
  if (gatewayType !== undefined) return gatewayType;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    target.startsWith('google/protobuf/') ? target : `${PROTO_DIR}/${target}`;
  root.loadSync('weft/discovery/v1alpha1/discovery.proto');
  root.resolveAll();
  gatewayType = root.lookupType(CONFIG_TYPE);
  return gatewayType;
}

/** A GatewayConfig file or text that is not a valid one. */
export class GatewayConfigFileError extends WeftError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
    this.name = 'GatewayConfigFileError';
  }
}

/** Parses proto3 JSON text into a GatewayConfig (throws GatewayConfigFileError naming the field). */
export function parseGatewayConfigJson(text: string): GatewayConfig__Output {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new GatewayConfigFileError(`not JSON: ${(err as Error).message}`);
  }
  const type = loadType();
  const plain = toPlain(type, json, '');
  const message = type.fromObject(plain);
  return type.toObject(message, {
    longs: String,
    enums: String,
    defaults: true,
    arrays: true,
    objects: true,
    oneofs: PROTO_LOADER_OPTIONS.oneofs === true,
  }) as GatewayConfig__Output;
}

/** Checks `value` against `type` field by field, converting Durations; unknown fields throw. */
function toPlain(type: protobuf.Type, value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayConfigFileError(`${path || 'config'}: must be an object`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    // Own properties only: "__proto__" or "toString" in the input must not find Object's.
    const camel = snakeToCamel(key);
    const field = Object.hasOwn(type.fields, key)
      ? type.fields[key]
      : Object.hasOwn(type.fields, camel)
        ? type.fields[camel]
        : undefined;
    const at = path === '' ? key : `${path}.${key}`;
    if (field === undefined) throw new GatewayConfigFileError(`${at}: unknown field`);
    if (v === null) continue;
    if (field.repeated) {
      if (!Array.isArray(v)) throw new GatewayConfigFileError(`${at}: must be a list`);
      out[field.name] = v.map((item, i) => fieldValue(field, item, `${at}[${i}]`));
    } else out[field.name] = fieldValue(field, v, at);
  }
  return out;
}

function fieldValue(field: protobuf.Field, value: unknown, at: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    if (resolved.fullName === DURATION_TYPE) return durationFromJson(value, at);
    return toPlain(resolved, value, at);
  }
  if (resolved instanceof protobuf.Enum) {
    const known =
      typeof value === 'string'
        ? Object.hasOwn(resolved.values, value)
        : Object.values(resolved.values).includes(value as number);
    if (!known)
      throw new GatewayConfigFileError(`${at}: not one of ${Object.keys(resolved.values).join(', ')}`);
    return value;
  }
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') throw new GatewayConfigFileError(`${at}: must be a string`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw new GatewayConfigFileError(`${at}: must be true or false`);
      return value;
    case 'uint32':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
        throw new GatewayConfigFileError(`${at}: must be a whole number from 0 to 4294967295`);
      }
      return value;
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw new GatewayConfigFileError(`${at}: must be a number`);
      return value;
    default:
      throw new GatewayConfigFileError(`${at}: fields of type ${field.type} are not read from JSON here`);
  }
}

function snakeToCamel(name: string): string {
  return name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** A proto3 JSON Duration: "<seconds>s" with up to 9 fractional digits. */
function durationFromJson(value: unknown, at: string): { seconds: number; nanos: number } {
  const m = typeof value === 'string' ? /^(-)?(\d{1,12})(?:\.(\d{1,9}))?s$/.exec(value) : null;
  if (m === null) throw new GatewayConfigFileError(`${at}: a duration is text like "1.5s"`);
  const sign = m[1] === undefined ? 1 : -1;
  const seconds = Number(m[2]);
  const nanos = Number((m[3] ?? '').padEnd(9, '0'));
  return { seconds: sign * seconds, nanos: sign * nanos };
}

/**
 * Resolves a binary's tracing settings from its command line, the standard
 * `OTEL_*` environment variables and the mesh config, in that order of precedence.
 */
import { WeftError } from '@weft/core';

/** The OTLP transports weft exports over. */
export type OtlpProtocol = 'grpc' | 'http/protobuf';

/** Default transport when nothing names one (the OTLP spec's default too). */
export const DEFAULT_OTLP_PROTOCOL: OtlpProtocol = 'http/protobuf';

/** What the mesh config says about tracing (also what the control plane pushes). */
export interface MeshTracingSettings {
  /** Collector endpoint; empty disables export. */
  readonly endpoint: string;
  /** "grpc" or "http/protobuf"; empty means the default. */
  readonly protocol: string;
  /** Fraction (0..1) of new traces to sample. */
  readonly sampling: number;
}

/**
 * Settings given explicitly to one binary: `--otlp`, `--otlp-protocol` and `--trace-sampling`
 * (or their `WEFT_*` variables, which the injector derives from a workload's annotations).
 * They override both the environment's `OTEL_*` variables and the mesh config.
 */
export interface ExplicitTracingSettings {
  readonly endpoint?: string | undefined;
  readonly protocol?: string | undefined;
  readonly sampling?: number | string | undefined;
}

/** The effective tracing config of one binary. */
export type TracingConfig =
  | { readonly enabled: false; readonly reason: string }
  | {
      readonly enabled: true;
      /** Full export URL: `http://host:4318/v1/traces` for HTTP, `http://host:4317` for gRPC. */
      readonly url: string;
      readonly protocol: OtlpProtocol;
      /** Ratio for new traces; a sampled or unsampled parent always decides for its children. */
      readonly sampling: number;
      /** Where the endpoint came from, for the startup log line. */
      readonly source: 'flag' | 'env' | 'mesh';
    };

/** Inputs of {@link resolveTracingConfig}; every one may be absent. */
export interface TracingConfigInputs {
  readonly explicit?: ExplicitTracingSettings;
  /** Usually `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly mesh?: MeshTracingSettings;
}

/** Parses an OTLP protocol name, naming `field` in the error. */
export function parseOtlpProtocol(value: string, field: string): OtlpProtocol {
  if (value === 'grpc' || value === 'http/protobuf') return value;
  throw new WeftError(
    'INVALID_CONFIG',
    `${field}: unsupported OTLP protocol "${value}" (expected grpc or http/protobuf)`,
  );
}

/** Parses a sampling ratio in [0, 1], naming `field` in the error. */
export function parseSamplingRatio(value: number | string, field: string): number {
  const n = typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    throw new WeftError(
      'INVALID_CONFIG',
      `${field}: sampling ratio must be a number from 0 to 1, got "${value}"`,
    );
  }
  return n;
}

/** Parses a collector endpoint (scheme optional, http or https), naming `field` in errors. */
function parseEndpoint(endpoint: string, field: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new WeftError('INVALID_CONFIG', `${field}: "${endpoint}" is not a valid OTLP endpoint URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WeftError(
      'INVALID_CONFIG',
      `${field}: OTLP endpoint must be http:// or https://, got "${endpoint}"`,
    );
  }
  if (url.hostname === '')
    throw new WeftError('INVALID_CONFIG', `${field}: OTLP endpoint "${endpoint}" has no host`);
  return url;
}

/** How an endpoint's path is treated: as written when it has one, always as a base, or as the full URL. */
type PathRule = 'append-if-bare' | 'append' | 'full';

/**
 * Turns a collector endpoint into the exporter's URL. For gRPC only scheme, host and port
 * count. For HTTP, `append-if-bare` adds `/v1/traces` to an endpoint without a path (flags
 * and mesh config: `http://jaeger:4318`), `append` always adds it (OTEL_EXPORTER_OTLP_ENDPOINT),
 * `full` keeps the URL as written (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).
 */
export function otlpUrl(
  endpoint: string,
  protocol: OtlpProtocol,
  field: string,
  rule: PathRule = 'append-if-bare',
): string {
  const url = parseEndpoint(endpoint, field);
  const origin = `${url.protocol}//${url.host}`;
  if (protocol === 'grpc') return origin;
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  switch (rule) {
    case 'full':
      return `${origin}${url.pathname}${url.search}`;
    case 'append':
      return `${origin}${path}/v1/traces`;
    case 'append-if-bare':
      return path === '' ? `${origin}/v1/traces` : `${origin}${url.pathname}${url.search}`;
  }
}

const nonEmpty = (v: string | undefined): string | undefined =>
  v === undefined || v.trim() === '' ? undefined : v;

/** The sampling ratio implied by OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, if set. */
function samplingFromEnv(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const sampler = nonEmpty(env.OTEL_TRACES_SAMPLER);
  if (sampler === undefined) return undefined;
  switch (sampler) {
    case 'always_on':
    case 'parentbased_always_on':
      return 1;
    case 'always_off':
    case 'parentbased_always_off':
      return 0;
    case 'traceidratio':
    case 'parentbased_traceidratio': {
      const arg = nonEmpty(env.OTEL_TRACES_SAMPLER_ARG);
      return arg === undefined ? 1 : parseSamplingRatio(arg, 'OTEL_TRACES_SAMPLER_ARG');
    }
    default:
      throw new WeftError(
        'INVALID_CONFIG',
        `OTEL_TRACES_SAMPLER: unsupported sampler "${sampler}" (weft samples parent-based by trace id ratio)`,
      );
  }
}

/**
 * Resolves the effective tracing config. Precedence for each setting: explicit (flag,
 * `WEFT_*`, annotation) > `OTEL_EXPORTER_OTLP_TRACES_*` > `OTEL_EXPORTER_OTLP_*` > mesh config
 * > default. `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` turn tracing off.
 * Throws WeftError INVALID_CONFIG naming the offending flag or variable.
 */
export function resolveTracingConfig(inputs: TracingConfigInputs): TracingConfig {
  const env = inputs.env ?? {};
  const explicit = inputs.explicit ?? {};
  const mesh = inputs.mesh;
  if (nonEmpty(env.OTEL_SDK_DISABLED)?.toLowerCase() === 'true') {
    return { enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  }
  if (nonEmpty(env.OTEL_TRACES_EXPORTER) === 'none') {
    return { enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  }

  let protocol: OtlpProtocol = DEFAULT_OTLP_PROTOCOL;
  const protocolSources: Array<[string | undefined, string]> = [
    [nonEmpty(explicit.protocol), '--otlp-protocol'],
    [nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL), 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'],
    [nonEmpty(env.OTEL_EXPORTER_OTLP_PROTOCOL), 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    [nonEmpty(mesh?.protocol), 'mesh config tracing.protocol'],
  ];
  for (const [value, field] of protocolSources) {
    if (value !== undefined) {
      protocol = parseOtlpProtocol(value, field);
      break;
    }
  }

  let sampling = mesh === undefined ? 1 : parseSamplingRatio(mesh.sampling, 'mesh config tracing.sampling');
  const envSampling = samplingFromEnv(env);
  if (envSampling !== undefined) sampling = envSampling;
  if (explicit.sampling !== undefined && explicit.sampling !== '') {
    sampling = parseSamplingRatio(explicit.sampling, '--trace-sampling');
  }

  // The first endpoint given wins: explicit, the traces-only variable (a full URL), the base
  // variable (/v1/traces appended), the mesh config.
  const endpointSources: Array<[string | undefined, string, PathRule, 'flag' | 'env' | 'mesh']> = [
    [nonEmpty(explicit.endpoint), '--otlp', 'append-if-bare', 'flag'],
    [nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'full', 'env'],
    [nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT), 'OTEL_EXPORTER_OTLP_ENDPOINT', 'append', 'env'],
    [nonEmpty(mesh?.endpoint), 'mesh config tracing.endpoint', 'append-if-bare', 'mesh'],
  ];
  for (const [endpoint, field, rule, source] of endpointSources) {
    if (endpoint !== undefined) {
      return { enabled: true, url: otlpUrl(endpoint, protocol, field, rule), protocol, sampling, source };
    }
  }
  return {
    enabled: false,
    reason: 'no OTLP endpoint configured (--otlp, OTEL_EXPORTER_OTLP_ENDPOINT or mesh config)',
  };
}

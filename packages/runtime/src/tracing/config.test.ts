import { isWeftError } from '@weft/core';
import { describe, expect, it } from 'vitest';
import { otlpUrl, resolveTracingConfig } from './config.js';

const mesh = { endpoint: 'http://jaeger.weft-system:4318', protocol: 'http/protobuf', sampling: 0.05 };

describe('otlpUrl', () => {
  it('adds /v1/traces to a bare HTTP endpoint and keeps an explicit path', () => {
    expect(otlpUrl('http://jaeger:4318', 'http/protobuf', 'f')).toBe('http://jaeger:4318/v1/traces');
    expect(otlpUrl('jaeger:4318', 'http/protobuf', 'f')).toBe('http://jaeger:4318/v1/traces');
    expect(otlpUrl('https://c.example:4318/', 'http/protobuf', 'f')).toBe('https://c.example:4318/v1/traces');
    expect(otlpUrl('http://c:4318/custom/traces', 'http/protobuf', 'f')).toBe('http://c:4318/custom/traces');
  });

  it('keeps only scheme, host and port for gRPC', () => {
    expect(otlpUrl('jaeger:4317', 'grpc', 'f')).toBe('http://jaeger:4317');
    expect(otlpUrl('https://jaeger:4317/ignored', 'grpc', 'f')).toBe('https://jaeger:4317');
  });

  it('appends to a base path or keeps a full URL as the OTLP variables define', () => {
    expect(otlpUrl('http://c:4318/otlp/', 'http/protobuf', 'f', 'append')).toBe(
      'http://c:4318/otlp/v1/traces',
    );
    expect(otlpUrl('http://c:4318', 'http/protobuf', 'f', 'full')).toBe('http://c:4318/');
  });

  it('names the field of a bad endpoint', () => {
    expect(() => otlpUrl('ftp://x:1', 'grpc', '--otlp')).toThrow(/--otlp: OTLP endpoint must be http/);
    expect(() => otlpUrl('http://', 'grpc', '--otlp')).toThrow(/--otlp/);
    expect(() => otlpUrl('http://[::1', 'grpc', 'X_VAR')).toThrow(/X_VAR: .* is not a valid OTLP endpoint/);
  });
});

describe('resolveTracingConfig', () => {
  it('is disabled without any endpoint', () => {
    const config = resolveTracingConfig({ env: {} });
    expect(config.enabled).toBe(false);
    expect(config.enabled === false && config.reason).toMatch(/no OTLP endpoint/);
  });

  it('uses the mesh config when nothing else is given', () => {
    expect(resolveTracingConfig({ env: {}, mesh })).toEqual({
      enabled: true,
      url: 'http://jaeger.weft-system:4318/v1/traces',
      protocol: 'http/protobuf',
      sampling: 0.05,
      source: 'mesh',
    });
  });

  it('defaults to http/protobuf and full sampling for --otlp alone', () => {
    expect(resolveTracingConfig({ explicit: { endpoint: 'localhost:4318' }, env: {} })).toEqual({
      enabled: true,
      url: 'http://localhost:4318/v1/traces',
      protocol: 'http/protobuf',
      sampling: 1,
      source: 'flag',
    });
  });

  it('lets flags win over OTEL_* variables, and those over the mesh config', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.5',
    };
    expect(resolveTracingConfig({ env, mesh })).toEqual({
      enabled: true,
      url: 'http://collector:4317',
      protocol: 'grpc',
      sampling: 0.5,
      source: 'env',
    });
    const flags = { endpoint: 'http://local:4318', protocol: 'http/protobuf', sampling: '0.25' };
    expect(resolveTracingConfig({ explicit: flags, env, mesh })).toEqual({
      enabled: true,
      url: 'http://local:4318/v1/traces',
      protocol: 'http/protobuf',
      sampling: 0.25,
      source: 'flag',
    });
  });

  it('prefers the per-signal variables and does not append to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
    };
    const config = resolveTracingConfig({ env });
    expect(config.enabled && config.url).toBe('http://traces:4318/custom');
    expect(config.enabled && config.protocol).toBe('http/protobuf');
    const base = resolveTracingConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318' } });
    expect(base.enabled && base.url).toBe('http://general:4318/v1/traces');
  });

  it('maps the standard samplers to a ratio', () => {
    const ratio = (OTEL_TRACES_SAMPLER: string) => {
      const c = resolveTracingConfig({ explicit: { endpoint: 'c:1' }, env: { OTEL_TRACES_SAMPLER } });
      return c.enabled ? c.sampling : undefined;
    };
    expect(ratio('always_on')).toBe(1);
    expect(ratio('parentbased_always_off')).toBe(0);
    expect(ratio('traceidratio')).toBe(1);
    expect(() => ratio('jaeger_remote')).toThrow(/OTEL_TRACES_SAMPLER: unsupported sampler "jaeger_remote"/);
  });

  it('turns off with OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none even with a flag', () => {
    expect(
      resolveTracingConfig({ explicit: { endpoint: 'c:1' }, env: { OTEL_SDK_DISABLED: 'true' } }).enabled,
    ).toBe(false);
    expect(
      resolveTracingConfig({ explicit: { endpoint: 'c:1' }, env: { OTEL_TRACES_EXPORTER: 'none' } }).enabled,
    ).toBe(false);
  });

  it('rejects bad values with INVALID_CONFIG naming their source', () => {
    const cases: Array<[Parameters<typeof resolveTracingConfig>[0], RegExp]> = [
      [
        { explicit: { endpoint: 'c:1', protocol: 'http/json' } },
        /--otlp-protocol: unsupported OTLP protocol "http\/json"/,
      ],
      [{ env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' } }, /OTEL_EXPORTER_OTLP_PROTOCOL/],
      [
        { explicit: { endpoint: 'c:1', sampling: '1.5' } },
        /--trace-sampling: sampling ratio must be a number from 0 to 1/,
      ],
      [{ explicit: { endpoint: 'c:1', sampling: 'lots' } }, /--trace-sampling/],
      [{ mesh: { ...mesh, sampling: -1 } }, /mesh config tracing.sampling/],
      [{ mesh: { ...mesh, protocol: 'udp' } }, /mesh config tracing.protocol/],
      [
        { env: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'x' } },
        /OTEL_TRACES_SAMPLER_ARG/,
      ],
    ];
    for (const [inputs, message] of cases) {
      let thrown: unknown;
      try {
        resolveTracingConfig(inputs);
      } catch (err) {
        thrown = err;
      }
      expect(isWeftError(thrown, 'INVALID_CONFIG'), String(message)).toBe(true);
      expect((thrown as Error).message).toMatch(message);
    }
  });
});

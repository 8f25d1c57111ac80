import { describe, expect, it } from 'vitest';
import { grpcTimeoutMs } from './grpc-timeout.js';

describe('grpcTimeoutMs', () => {
  it('reads every unit of a gRPC request, at least 1 ms', () => {
    const g = (v: string) => grpcTimeoutMs('application/grpc+proto', v);
    expect([g('2H'), g('3M'), g('5S'), g('250m'), g('1500u'), g('7n')]).toEqual([
      7_200_000, 180_000, 5000, 250, 1.5, 1,
    ]);
  });

  it('ignores non-gRPC requests and malformed values', () => {
    expect(grpcTimeoutMs('text/plain', '5S')).toBeUndefined();
    expect(grpcTimeoutMs(undefined, '5S')).toBeUndefined();
    expect(grpcTimeoutMs('application/grpc', undefined)).toBeUndefined();
    expect(grpcTimeoutMs('application/grpc', '99999999H')).toBeUndefined();
    expect(grpcTimeoutMs('application/grpc', '596H')).toBe(596 * 3_600_000);
    for (const bad of ['', '5', 'S', '-5S', '5s', '123456789S', '1.5S', '5 S']) {
      expect(grpcTimeoutMs('application/grpc', bad)).toBeUndefined();
    }
  });
});

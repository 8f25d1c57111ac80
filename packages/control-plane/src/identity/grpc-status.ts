/** The one place the Identity service maps weft error codes to gRPC status codes. */
import { status } from '@grpc/grpc-js';
import type { WeftErrorCode } from '@weft/core';

const MAP: Record<WeftErrorCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  INVALID_CONFIG: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  UNAVAILABLE: status.UNAVAILABLE,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  INTERNAL: status.INTERNAL,
};

/** The gRPC status for a weft error code. */
export function grpcStatusOf(code: WeftErrorCode): status {
  return MAP[code];
}

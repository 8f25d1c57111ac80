/** The base error of weft: a stable machine-readable `code` plus an ES2022 `cause`. */

/**
 * Stable error codes. Edges (gRPC, HTTP, CLI) map these to their own status in one place
 * each; never match on `message`.
 */
export type WeftErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_CONFIG'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'INTERNAL';

export interface WeftErrorOptions {
  /** The underlying error, kept for logs; never shown to remote peers. */
  cause?: unknown;
}

/** An error with a stable `code`. Subclasses narrow the code and add context fields. */
export class WeftError extends Error {
  readonly code: WeftErrorCode;

  constructor(code: WeftErrorCode, message: string, options: WeftErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WeftError';
    this.code = code;
  }
}

/** True when `err` is a WeftError (optionally with the given code). */
export function isWeftError(err: unknown, code?: WeftErrorCode): err is WeftError {
  return err instanceof WeftError && (code === undefined || err.code === code);
}

/** A short, safe description of any thrown value, for logs and status messages. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

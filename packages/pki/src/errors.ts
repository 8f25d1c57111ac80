/** PKI errors: a WeftError with a stable reason, so callers can count and report precisely. */
import { WeftError, type WeftErrorCode } from '@weft/core';

/** Thrown when bytes are not the DER/PEM structure expected (certificate, CSR, key). */
export class MalformedError extends WeftError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('INVALID_ARGUMENT', message, options);
    this.name = 'MalformedError';
  }
}

/** Thrown by CA construction and file loading when the material is unusable. */
export class PkiError extends WeftError {
  constructor(code: WeftErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'PkiError';
  }
}

/** The error for a broken HTTP/1 upstream exchange. */
import { WeftError } from '@weft/core';

/** An error for a broken upstream exchange (mapped to 502). */
export class UpstreamError extends WeftError {
  constructor(message: string, cause?: unknown) {
    super('INTERNAL', message, { cause });
    this.name = 'UpstreamError';
  }
}

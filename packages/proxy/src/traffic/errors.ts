/** The errors the traffic layers answer requests with; the proxy's edge maps codes to HTTP status once. */
import { WeftError } from '@weft/core';

/** No route of the destination matches the request (404). */
export class NoRouteError extends WeftError {
  constructor(authority: string, method: string, path: string) {
    super('NOT_FOUND', `no route of ${authority} matches ${method} ${path}`);
    this.name = 'NoRouteError';
  }
}

/** The route cannot send anywhere: every backend has weight 0, or the backend is unknown (503). */
export class NoBackendError extends WeftError {
  constructor(message: string) {
    super('UNAVAILABLE', message);
    this.name = 'NoBackendError';
  }
}

/** No endpoint can take the request: none exist, all are ejected, or the circuit is full (503). */
export class UnavailableError extends WeftError {
  constructor(message: string) {
    super('UNAVAILABLE', message);
    this.name = 'UnavailableError';
  }
}

/** The request or its last attempt ran out of time (504). */
export class TimeoutError extends WeftError {
  constructor(message: string) {
    super('DEADLINE_EXCEEDED', message);
    this.name = 'TimeoutError';
  }
}

/** The last attempt failed without a response (connection refused or reset) (502). */
export class UpstreamFailedError extends WeftError {
  constructor(message: string) {
    super('INTERNAL', message);
    this.name = 'UpstreamFailedError';
  }
}

/** The client went away before a response; nothing is sent back. */
export class ClientGoneError extends WeftError {
  constructor() {
    super('UNAVAILABLE', 'the client went away before a response');
    this.name = 'ClientGoneError';
  }
}

/**
 * grpc-js writes its own errors to the console ("E No address added out of total 1 resolved")
 * before weft reports the same failure in its own words. Its lines go to weft's logger at debug
 * level instead (WEFT_LOG_LEVEL=debug shows them), so a terminal sees one message per failure.
 */

import { format } from 'node:util';
import { setLogger } from '@grpc/grpc-js';
import type { Logger } from '@weft/runtime';

/** Routes grpc-js's log lines into `logger` (debug level, `source: grpc-js`). */
export function routeGrpcLogs(logger: Logger): void {
  const write = (...args: unknown[]): void => logger.debug({ source: 'grpc-js' }, format(...args));
  setLogger({ error: write, info: write, debug: write });
}

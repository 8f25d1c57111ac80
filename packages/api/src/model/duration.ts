/** The zod schema for durations in manifests; the parsing itself is duration-text.ts. */
import { z } from 'zod';
import { parseDurationMs } from './duration-text.js';

export { formatDurationMs, parseDurationMs } from './duration-text.js';

/** A zod schema accepting "10s"-style strings and producing milliseconds. */
export const durationSchema = z.string().transform((text, ctx) => {
  const ms = parseDurationMs(text);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid duration "${text}" (expected e.g. 250ms, 10s, 5m, 1h)`,
    });
    return z.NEVER;
  }
  return ms;
});

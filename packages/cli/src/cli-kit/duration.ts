/**
 * The one way every weft flag takes a duration: `250ms`, `10s`, `1m`, `24h`, `1h30m`, `1y`.
 *
 * It is @weft/api's parseDurationMs, the parser the manifests' durations already go through, so a
 * value means the same on the command line, in an environment variable and in a TrafficPolicy.
 * Why not the `ms` package: measured against what weft accepts, `ms` rejects compound values
 * ("1h30m", which Gateway API durations use), takes a bare "1000" as milliseconds (the ambiguity
 * this parser exists to remove) and accepts negative values ("-1s"); wrapping it would need the
 * same validation code again. A bare number is rejected with a hint naming the unit.
 */
import { parseDurationMs } from '@weft/api/duration';
import { InvalidArgumentError } from 'commander';

/** Options for durationArg. */
export interface DurationArgOptions {
  /** Accept "0" (and 0s); otherwise the duration must be positive. */
  allowZero?: boolean;
}

/** Parses a duration flag value into milliseconds, or throws a usage error with an example. */
export function parseDurationArg(text: string, options: DurationArgOptions = {}): number {
  if (/^\d+$/.test(text) && !(options.allowZero === true && Number(text) === 0)) {
    throw new InvalidArgumentError(
      `"${text}" has no unit: write ${text}ms or ${text}s (units: ms, s, m, h, d, y)`,
    );
  }
  const ms = text === '0' ? 0 : parseDurationMs(text);
  if (ms === undefined) {
    throw new InvalidArgumentError(`"${text}" is not a duration such as 250ms, 10s, 1m or 24h`);
  }
  if (ms === 0 && options.allowZero !== true) throw new InvalidArgumentError('must be longer than 0');
  return ms;
}

/** A commander argParser for a positive duration. */
export const durationArg = (text: string): number => parseDurationArg(text);

/** A commander argParser for a duration where 0 has a meaning of its own. */
export const durationOrZeroArg = (text: string): number => parseDurationArg(text, { allowZero: true });

/** Parsers for flags that take a port or a count (commander argParsers: a bad value is a usage error). */
import { InvalidArgumentError } from 'commander';

/** A TCP/UDP port; 0 (any free port) only where `allowZero`. */
export function portArg(value: string, allowZero = true): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535 || (!allowZero && n === 0)) {
    throw new InvalidArgumentError(`"${value}" is not a port (${allowZero ? 0 : 1}-65535)`);
  }
  return n;
}

/** A whole number above zero. */
export function positiveArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

/** Colours on a terminal only: never in pipes or files, never when NO_COLOR is set (no-color.org). */
import picocolors from 'picocolors';

/** The few styles weft uses; each is the identity function when colour is off. */
export type Colours = Pick<
  ReturnType<typeof picocolors.createColors>,
  'red' | 'green' | 'yellow' | 'bold' | 'dim' | 'cyan'
>;

/**
 * Whether to colour a stream: a TTY, NO_COLOR unset or empty, and a terminal that is not
 * "dumb". FORCE_COLOR is deliberately not honoured for pipes: output meant for machines stays plain.
 */
export function colourEnabled(
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** The styles for `enabled` (see colourEnabled). */
export function colours(enabled: boolean): Colours {
  return picocolors.createColors(enabled);
}

/** The one structured logger: pino, created per component and passed down; never global. */
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** The component name, written as the `component` field of every line. */
  component: string;
  /** pino level; defaults to WEFT_LOG_LEVEL or `info`. */
  level?: string;
  /** Where lines go; defaults to standard error so that standard output stays for data. */
  destination?: DestinationStream;
}

/** Field names whose values are never written, wherever they appear in a log object. */
const REDACT = [
  'token',
  '*.token',
  'key',
  '*.key',
  'privateKey',
  '*.privateKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
];

/** Creates a root logger for one binary or component. Children add context with `.child()`. */
export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? process.env.WEFT_LOG_LEVEL ?? 'info';
  return pino(
    { level, base: { component: options.component }, redact: { paths: REDACT, censor: '[redacted]' } },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that writes nothing, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * The one structured logger: pino, created per component and passed down; never global. JSON
 * lines for machines; on a terminal, one readable line per entry (pino-pretty).
 */
import { createRequire } from 'node:module';
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

/**
 * How log lines are written: `json` (the default, for collectors and pipes) or `pretty` (one
 * readable line each) when standard error is a terminal. WEFT_LOG_FORMAT=json|pretty decides
 * instead; NO_COLOR turns the pretty form's colours off.
 */
export function logFormat(env: NodeJS.ProcessEnv, stderrIsTty: boolean): 'json' | 'pretty' {
  if (env.WEFT_LOG_FORMAT === 'json' || env.WEFT_LOG_FORMAT === 'pretty') return env.WEFT_LOG_FORMAT;
  return stderrIsTty ? 'pretty' : 'json';
}

/**
 * A pino-pretty stream writing to `destination` (standard error by default). In-process and
 * synchronous rather than pino's worker-thread transport: a terminal's logs are few, and a
 * worker costs a thread and ~10 MB. Loaded only when used, so sidecars in pods never load it.
 */
export function prettyStream(options: {
  colour: boolean;
  destination?: NodeJS.WritableStream | number;
}): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as (
    o: Record<string, unknown>,
  ) => DestinationStream;
  return pretty({
    destination: options.destination ?? 2,
    sync: true,
    colorize: options.colour,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,component,subsystem',
    messageFormat: '{if component}[{component}] {end}{if subsystem}[{subsystem}] {end}{msg}',
    hideObject: false,
  });
}

/** Creates a root logger for one binary or component. Children add context with `.child()`. */
export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? process.env.WEFT_LOG_LEVEL ?? 'info';
  let destination = options.destination;
  if (destination === undefined) {
    destination =
      logFormat(process.env, process.stderr.isTTY === true) === 'pretty'
        ? prettyStream({ colour: process.env.NO_COLOR === undefined || process.env.NO_COLOR === '' })
        : pino.destination({ fd: 2, sync: false });
  }
  return pino(
    { level, base: { component: options.component }, redact: { paths: REDACT, censor: '[redacted]' } },
    destination,
  );
}

/**
 * A child logger for one part of a component (tracing, a controller), named in a `subsystem`
 * field. Not `child({ component })`: pino appends a child's bindings to its parent's, so that
 * line would carry `component` twice, which JSON log stores may reject (Elasticsearch refuses a
 * document with a duplicate field) or read as the first value.
 */
export function subsystemLogger(parent: Logger, subsystem: string): Logger {
  return parent.child({ subsystem });
}

/** A logger that writes nothing, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

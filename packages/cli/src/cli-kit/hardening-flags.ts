/**
 * The client-side limits `weft proxy` and `weft gateway` share (connections, request heads and
 * their timeouts; docs/proxy-transport.md), the HTTP/2 limits among them, and what the parsed
 * flags make of the proxy's HardeningOptions.
 */
import { formatDurationMs } from '@weft/api/duration';
import { DEFAULT_HARDENING, type HardeningOptions } from '@weft/proxy/options';
import { type Command, Option } from 'commander';
import { durationArg } from './duration.js';
import { envName } from './env.js';
import { addH2Options, type H2Flags, h2LimitsFromFlags } from './h2-flags.js';
import { positiveArg } from './number-args.js';

/** The parsed flags (commander's camel-case names). */
export interface HardeningFlags extends H2Flags {
  maxConnections: number;
  maxTotalConnections: number;
  maxHeaderBytes: number;
  maxHeaders: number;
  headersTimeout: number;
  requestTimeout: number;
  idleTimeout: number;
}

/** Help texts that differ by command: what a connection limit counts and where header limits apply. */
export interface HardeningHelp {
  readonly maxConnections: string;
  readonly maxTotalConnections: string;
  readonly maxHeaders: string;
}

function duration(flag: string, help: string, ms: number): Option {
  return new Option(flag, help).default(ms, formatDurationMs(ms)).argParser(durationArg);
}

function count(flag: string, help: string, value: number): Option {
  return new Option(flag, help).default(value).argParser(positiveArg);
}

/**
 * Adds the limit flags and the HTTP/2 ones to `command`. With `env`, each limit flag gets its
 * WEFT_* variable now, read by commander itself (as `weft proxy`'s always were); otherwise
 * envForEveryFlag gives it the same variable later.
 */
export function addHardeningOptions(command: Command, help: HardeningHelp, env = false): Command {
  const D = DEFAULT_HARDENING;
  const options = [
    count('--max-connections <n>', help.maxConnections, D.maxConnections),
    count('--max-total-connections <n>', help.maxTotalConnections, D.maxTotalConnections),
    count('--max-header-bytes <n>', 'largest request head', D.maxHeadBytes),
    count('--max-headers <n>', help.maxHeaders, D.maxHeaders),
    duration(
      '--headers-timeout <duration>',
      'time to receive a request head (408 after)',
      D.headersTimeoutMs,
    ),
    duration(
      '--request-timeout <duration>',
      'time to receive a request body once its head arrived (408 after)',
      D.requestTimeoutMs,
    ),
    duration('--idle-timeout <duration>', 'close client connections idle this long', D.idleTimeoutMs),
  ];
  for (const option of options) command.addOption(env ? option.env(envName(option)) : option);
  return addH2Options(command);
}

/** The proxy's HardeningOptions from the parsed flags (the rest at their defaults). */
export function hardeningFromFlags(flags: HardeningFlags): HardeningOptions {
  return {
    ...DEFAULT_HARDENING,
    maxConnections: flags.maxConnections,
    maxTotalConnections: flags.maxTotalConnections,
    maxHeadBytes: flags.maxHeaderBytes,
    maxHeaders: flags.maxHeaders,
    headersTimeoutMs: flags.headersTimeout,
    requestTimeoutMs: flags.requestTimeout,
    idleTimeoutMs: flags.idleTimeout,
    h2: h2LimitsFromFlags(flags),
  };
}

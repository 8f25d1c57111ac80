/** `weft proxy` flags for the HTTP/2 limits (docs/proxy-transport.md, "HTTP/2 limits"), each with its WEFT_* variable. */
import { DEFAULT_H2_LIMITS, type H2Limits } from '@weft/proxy/options';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { durationArg } from './duration.js';

/** The parsed HTTP/2 flags (commander's camel-case names). */
export interface H2Flags {
  h2MaxConcurrentStreams: number;
  h2MaxResets: number;
  h2ResetInterval: number;
  h2MaxRejectedStreams: number;
  h2MaxInvalidFrames: number;
  h2MaxHeaderPairs: number;
  h2MaxSettings: number;
  h2MaxSessionMemory: number;
}

function positive(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n <= 0 || n > 2 ** 31 - 1)
    throw new InvalidArgumentError(`"${value}" is not a positive 32-bit integer`);
  return n;
}

const FLAGS: readonly {
  flag: string;
  env: string;
  help: string;
  value: number;
  parse?: (text: string) => number;
}[] = [
  {
    flag: '--h2-max-concurrent-streams <n>',
    env: 'WEFT_H2_MAX_CONCURRENT_STREAMS',
    help: 'HTTP/2 streams open at once per client connection (SETTINGS_MAX_CONCURRENT_STREAMS)',
    value: DEFAULT_H2_LIMITS.maxConcurrentStreams,
  },
  {
    flag: '--h2-max-resets <n>',
    env: 'WEFT_H2_MAX_RESETS',
    help: 'HTTP/2 streams a client may reset per --h2-reset-interval before GOAWAY ENHANCE_YOUR_CALM',
    value: DEFAULT_H2_LIMITS.maxResetsPerInterval,
  },
  {
    flag: '--h2-reset-interval <duration>',
    env: 'WEFT_H2_RESET_INTERVAL',
    help: 'the window of --h2-max-resets (e.g. 1s)',
    value: DEFAULT_H2_LIMITS.resetIntervalMs,
    parse: (text) => durationArg(text),
  },
  {
    flag: '--h2-max-rejected-streams <n>',
    env: 'WEFT_H2_MAX_REJECTED_STREAMS',
    help: 'HTTP/2 streams refused at creation before the connection is closed',
    value: DEFAULT_H2_LIMITS.maxRejectedStreams,
  },
  {
    flag: '--h2-max-invalid-frames <n>',
    env: 'WEFT_H2_MAX_INVALID_FRAMES',
    help: 'invalid HTTP/2 frames tolerated before the connection is closed',
    value: DEFAULT_H2_LIMITS.maxInvalidFrames,
  },
  {
    flag: '--h2-max-header-pairs <n>',
    env: 'WEFT_H2_MAX_HEADER_PAIRS',
    help: 'header fields per HTTP/2 header list',
    value: DEFAULT_H2_LIMITS.maxHeaderListPairs,
  },
  {
    flag: '--h2-max-settings <n>',
    env: 'WEFT_H2_MAX_SETTINGS',
    help: 'entries in one HTTP/2 SETTINGS frame',
    value: DEFAULT_H2_LIMITS.maxSettings,
  },
  {
    flag: '--h2-max-session-memory <mib>',
    env: 'WEFT_H2_MAX_SESSION_MEMORY_MB',
    help: 'memory one HTTP/2 connection may hold in nghttp2, in MiB',
    value: DEFAULT_H2_LIMITS.maxSessionMemoryMb,
  },
];

/** Adds the HTTP/2 limit flags to `command`. */
export function addH2Options(command: Command): Command {
  for (const f of FLAGS)
    command.addOption(
      new Option(f.flag, f.help)
        .env(f.env)
        .default(f.value)
        .argParser(f.parse ?? positive),
    );
  return command;
}

/** The HTTP/2 limits the flags describe (the rest at their defaults). */
export function h2LimitsFromFlags(flags: H2Flags): H2Limits {
  return {
    ...DEFAULT_H2_LIMITS,
    maxConcurrentStreams: flags.h2MaxConcurrentStreams,
    maxResetsPerInterval: flags.h2MaxResets,
    resetIntervalMs: flags.h2ResetInterval,
    maxRejectedStreams: flags.h2MaxRejectedStreams,
    maxInvalidFrames: flags.h2MaxInvalidFrames,
    maxHeaderListPairs: flags.h2MaxHeaderPairs,
    maxSettings: flags.h2MaxSettings,
    maxSessionMemoryMb: flags.h2MaxSessionMemory,
  };
}

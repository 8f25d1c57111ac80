/**
 * The tracing flags every long-running command shares (`weft proxy`, `weft control-plane`,
 * `weft up`): `--otlp`, `--otlp-protocol`, `--trace-sampling`, mirrored by WEFT_* variables.
 */

import { describeError, isWeftError } from '@weft/core';
import type { Logger } from '@weft/runtime';
// From runtime's index, which loads the OpenTelemetry SDK only when tracing is on.
import { subsystemLogger, TracingController, type TracingResourceInfo } from '@weft/runtime';
import { type Command, Option } from 'commander';

/** The parsed tracing flags. */
export interface TracingFlags {
  otlp?: string;
  otlpProtocol?: string;
  traceSampling?: string;
}

/** Adds the tracing options to `command`. */
export function addTracingOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--otlp <url>',
        'send traces to this OTLP collector (default: the mesh config, OTEL_* variables)',
      ).env('WEFT_OTLP'),
    )
    .addOption(
      new Option('--otlp-protocol <protocol>', 'OTLP transport (default http/protobuf)')
        .env('WEFT_OTLP_PROTOCOL')
        .choices(['grpc', 'http/protobuf']),
    )
    .addOption(
      new Option('--trace-sampling <ratio>', 'fraction (0..1) of new traces to sample').env(
        'WEFT_TRACE_SAMPLING',
      ),
    );
}

/**
 * Builds the command's TracingController from its flags and the environment. A malformed
 * value is a usage error (exit 2) naming the flag or variable.
 */
export function tracingFromFlags(
  flags: TracingFlags,
  resource: TracingResourceInfo,
  logger: Logger,
  command: Command,
): TracingController {
  try {
    return new TracingController({
      explicit: { endpoint: flags.otlp, protocol: flags.otlpProtocol, sampling: flags.traceSampling },
      env: process.env,
      resource,
      logger: subsystemLogger(logger, 'tracing'),
    });
  } catch (err) {
    if (isWeftError(err, 'INVALID_CONFIG')) command.error(`error: ${err.message}`, { exitCode: 2 });
    throw new Error(`tracing: ${describeError(err)}`, { cause: err });
  }
}

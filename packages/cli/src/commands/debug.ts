/** `weft debug state`: the control plane's model of the mesh (its admin /debug/state). */
import { type Command, Option } from 'commander';
import { durationArg } from '../cli-kit/duration.js';
import { fetchJson, parseAdminAddress } from '../cli-kit/http.js';
import type { CliIo } from '../cli-kit/io.js';
import { type OutputFormat, outputOption, renderAs } from '../cli-kit/output.js';
import { renderDebugState } from '../inspect/debug-state-view.js';

interface DebugStateFlags {
  controlPlaneAdmin: string;
  timeout: number;
  output: OutputFormat;
}

export function registerDebug(program: Command, io: CliIo): void {
  const debug = program.command('debug').description('look inside a running mesh');
  debug
    .command('state')
    .description(
      "show the control plane's services, registrations, proxies and conditions (/debug/state, loopback only)",
    )
    .addOption(
      new Option('--control-plane-admin <address>', "the control plane's admin address")
        .env('WEFT_CONTROL_PLANE_ADMIN')
        .default('http://127.0.0.1:7990'),
    )
    .addOption(
      new Option('--timeout <duration>', 'how long to wait for the control plane')
        .default(5000, '5s')
        .argParser(durationArg),
    )
    .addOption(outputOption())
    .action(async (flags: DebugStateFlags) => {
      const state = await fetchJson(
        `${parseAdminAddress(flags.controlPlaneAdmin, 7990)}/debug/state`,
        flags.timeout,
      );
      io.stdout(renderAs(flags.output, state, () => renderDebugState(state)));
    });
}

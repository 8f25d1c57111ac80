/** `weft version`: the client's version, and the control plane's when its admin server answers. */
import { type Command, Option } from 'commander';
import { durationArg } from '../cli-kit/duration.js';
import { fetchJson, parseAdminAddress } from '../cli-kit/http.js';
import type { CliIo } from '../cli-kit/io.js';
import { type OutputFormat, outputOption, renderAs } from '../cli-kit/output.js';
import { renderTable } from '../cli-kit/table.js';
import { VERSION } from '../cli-kit/version.js';

/** What `weft version -o json` prints. */
export interface VersionReport {
  client: { version: string; node: string };
  controlPlane: { address: string; version: string } | { address: string; unreachable: string };
}

interface VersionFlags {
  controlPlaneAdmin: string;
  timeout: number;
  output: OutputFormat;
}

/** Gathers the report; the control plane's absence is a field, not an error. */
export async function versionReport(admin: string, timeoutMs: number): Promise<VersionReport> {
  const client = { version: VERSION, node: process.version };
  try {
    const answer = (await fetchJson(`${admin}/version`, timeoutMs)) as { version?: unknown };
    if (typeof answer.version !== 'string') throw new Error(`${admin}/version names no version`);
    return { client, controlPlane: { address: admin, version: answer.version } };
  } catch (err) {
    return { client, controlPlane: { address: admin, unreachable: (err as Error).message } };
  }
}

export function registerVersion(program: Command, io: CliIo): void {
  program
    .command('version')
    .description("print weft's version, and the control plane's when it can be reached")
    .addOption(
      new Option('--control-plane-admin <address>', "the control plane's admin address")
        .env('WEFT_CONTROL_PLANE_ADMIN')
        .default('http://127.0.0.1:7990')
        .argParser((v) => parseAdminAddress(v, 7990)),
    )
    .addOption(
      new Option('--timeout <duration>', 'how long to wait for the control plane')
        .default(2000, '2s')
        .argParser(durationArg),
    )
    .addOption(outputOption())
    .action(async (flags: VersionFlags) => {
      const report = await versionReport(parseAdminAddress(flags.controlPlaneAdmin, 7990), flags.timeout);
      const cp = report.controlPlane;
      io.stdout(
        renderAs(flags.output, report, () =>
          renderTable({
            head: ['COMPONENT', 'VERSION', 'WHERE'],
            rows: [
              ['client', report.client.version, `node ${report.client.node}`],
              [
                'control plane',
                'version' in cp ? cp.version : 'unreachable',
                'version' in cp ? cp.address : cp.unreachable,
              ],
            ],
          }),
        ),
      );
    });
}

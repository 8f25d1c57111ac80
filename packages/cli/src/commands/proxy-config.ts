/** `weft proxy-config <proxy>`: what a proxy was told by its control plane (its admin /config). */
import { type Command, Option } from 'commander';
import { durationArg } from '../cli-kit/duration.js';
import { fetchJson, parseAdminAddress } from '../cli-kit/http.js';
import type { CliIo } from '../cli-kit/io.js';
import { type OutputFormat, outputOption, renderAs } from '../cli-kit/output.js';
import { renderProxyConfig } from '../inspect/proxy-config-view.js';

export function registerProxyConfig(program: Command, io: CliIo): void {
  program
    .command('proxy-config')
    .description("show a proxy's configuration from its admin server (/config, served to loopback only)")
    .argument('<proxy>', 'the proxy admin address: 127.0.0.1:7191, a port on 127.0.0.1, or a URL')
    .addOption(
      new Option('--timeout <duration>', 'how long to wait for the proxy')
        .default(5000, '5s')
        .argParser(durationArg),
    )
    .addOption(outputOption())
    .action(async (proxy: string, flags: { timeout: number; output: OutputFormat }) => {
      const config = await fetchJson(`${parseAdminAddress(proxy, 7191)}/config`, flags.timeout);
      io.stdout(renderAs(flags.output, config, () => renderProxyConfig(config)));
    });
}

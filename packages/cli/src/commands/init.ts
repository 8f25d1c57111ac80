/** `weft init`: the proxy-init container — program iptables so the pod's TCP goes through its proxy. */

import {
  applyRules,
  buildRules,
  type InitOptions,
  type IptablesMode,
  parseInitOptions,
  planRestore,
  processRunner,
} from '@weft/proxy-init';
import { createLogger } from '@weft/runtime';
import { type Command, Option } from 'commander';
import type { CliIo } from '../cli-kit/io.js';

interface InitFlags {
  inboundPort: string;
  outboundPort: string;
  proxyUid: string;
  skipInboundPorts: string;
  skipOutboundPorts?: string;
  skipOutboundCidrs?: string;
  iptablesMode: IptablesMode;
  ipv6: boolean;
  dryRun?: boolean;
  dnsCapture?: boolean;
  dnsPort: string;
}

export function registerInit(program: Command, io: CliIo): void {
  program
    .command('init')
    .description("program the pod's iptables (nat table) to send its TCP traffic through the weft proxy")
    .option('--inbound-port <port>', 'the proxy inbound listener', '7143')
    .option('--outbound-port <port>', 'the proxy outbound listener', '7140')
    .option('--proxy-uid <uid>', "the proxy's UID, whose traffic is never redirected", '7102')
    .option('--skip-inbound-ports <list>', 'inbound ports or ranges that bypass the proxy', '7191')
    .option('--skip-outbound-ports <list>', 'outbound ports or ranges that bypass the proxy')
    .option('--skip-outbound-cidrs <list>', 'outbound IPv4/IPv6 CIDRs that bypass the proxy')
    .addOption(
      new Option('--iptables-mode <mode>', 'iptables backend')
        .choices(['auto', 'nft', 'legacy'])
        .default('auto'),
    )
    .option('--dns-capture', "redirect the app's UDP and TCP port 53 to the proxy's DNS listener (IPv4)")
    .option('--dns-port <port>', "the proxy's DNS listener, with --dns-capture", '15053')
    .option('--no-ipv6', 'do not program ip6tables')
    .option('--dry-run', 'print the iptables-restore input for an empty table instead of applying it')
    .action(async (flags: InitFlags, command: Command) => {
      let options: InitOptions;
      try {
        options = parseInitOptions(flags);
      } catch (err) {
        command.error(`weft init: ${(err as Error).message}`, { exitCode: 2, code: 'weft.usage' });
        return;
      }
      const families = flags.ipv6 ? (['ipv4', 'ipv6'] as const) : (['ipv4'] as const);
      if (flags.dryRun === true) {
        for (const family of families) {
          const tool = family === 'ipv4' ? 'iptables' : 'ip6tables';
          io.stdout(`# ${family}: ${tool}-restore --noflush\n${planRestore(buildRules(options, family))}`);
        }
        return;
      }
      const logger = createLogger({ component: 'proxy-init' });
      const outcomes = await applyRules(options, {
        runner: processRunner,
        logger,
        mode: flags.iptablesMode,
        ipv6: flags.ipv6,
      });
      for (const o of outcomes) {
        io.stdout(
          o.type === 'applied' ? `${o.family}: rules applied\n` : `${o.family}: skipped (${o.reason})\n`,
        );
      }
    });
}

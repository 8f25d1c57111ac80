/** `weft token create`: a join token for local mode, signed with the identity folder's token.key. */
import { DNS_LABEL, DNS_SUBDOMAIN } from '@weft/api';
import { createJoinToken, loadTokenKey } from '@weft/pki';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { durationArg } from '../cli-kit/duration.js';
import type { CliIo } from '../cli-kit/io.js';

function pattern(re: RegExp, what: string) {
  return (text: string): string => {
    if (!re.test(text)) throw new InvalidArgumentError(`not a valid ${what}: ${JSON.stringify(text)}`);
    return text;
  };
}

export function registerToken(program: Command, io: CliIo): void {
  const token = program.command('token').description('join tokens for local mode');
  token
    .command('create')
    .description(
      'print a join token (a JWT) for a namespace, service account and the services it may register (revoke all by rotating token.key)',
    )
    .requiredOption('--identity-dir <dir>', 'folder written by "weft identity create-ca"')
    .requiredOption('--namespace <ns>', 'namespace of the workload', pattern(DNS_LABEL, 'namespace'))
    .requiredOption(
      '--service-account <sa>',
      'service account of the workload',
      pattern(DNS_SUBDOMAIN, 'service account'),
    )
    .option(
      '--service <name>',
      'a service the workload may register as an endpoint of: NAME or NAMESPACE/NAME (repeatable; none: client only)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addOption(
      new Option('--ttl <duration>', 'how long the token is valid')
        .argParser(durationArg)
        .default(durationArg('24h'), '24h'),
    )
    .action(
      async (
        opts: {
          identityDir: string;
          namespace: string;
          serviceAccount: string;
          service?: string[];
          ttl: number;
        },
        cmd: Command,
      ) => {
        const { key, trustDomain } = await loadTokenKey(opts.identityDir);
        let token: string;
        try {
          token = await createJoinToken({
            key,
            trustDomain,
            namespace: opts.namespace,
            serviceAccount: opts.serviceAccount,
            services: opts.service ?? [],
            ttlMs: opts.ttl,
            now: Date.now(),
          });
        } catch (err) {
          return cmd.error(`weft token create: ${(err as Error).message}`, {
            exitCode: 2,
            code: 'weft.usage',
          });
        }
        io.stdout(`${token}\n`);
      },
    );
}

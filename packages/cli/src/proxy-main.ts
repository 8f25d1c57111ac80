/**
 * The entry of `weft proxy` alone. A sidecar runs for the life of its pod, so it loads only
 * its own command: the full program also imports every other command's dependencies (the
 * control plane, the Kubernetes client, the OpenTelemetry SDK, express ...), about 25 MB of
 * resident memory per sidecar that it would never use. Exit codes follow index.ts: usage
 * errors 2, runtime failures 1.
 */
import { Command, CommanderError } from 'commander';
import { registerProxy } from './commands/proxy.js';
import type { CliIo } from './program.js';

const io: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('weft')
    .showHelpAfterError('(run "weft proxy --help" for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  registerProxy(program, io);
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.help' ? 0 : 2;
    }
    io.stderr(`weft: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

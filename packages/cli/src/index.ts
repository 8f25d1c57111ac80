/** @weft/cli: the `weft` command. */
import { CommanderError } from 'commander';
import { type CliIo, createProgram, processIo } from './program.js';

export { type CliIo, createProgram, VERSION } from './program.js';

/** Usage errors exit 2, like most Unix tools; help and version exit 0. */
const EXIT_USAGE = 2;

/**
 * Runs the CLI with `argv` (as in process.argv) and returns the exit code. Subcommands that
 * keep running (servers) resolve only when they stop.
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = createProgram(io);
  if (argv.length <= 2) {
    program.outputHelp();
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      ) {
        return 0;
      }
      return EXIT_USAGE;
    }
    io.stderr(`weft: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

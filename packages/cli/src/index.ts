/** @weft/cli: the `weft` command. */
import { runProgram } from './cli-kit/run.js';
import { type CliIo, createProgram, processIo } from './program.js';

export { type CliIo, createProgram, VERSION } from './program.js';

/** With no arguments: the help, and the usage exit code. */
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
  return runProgram(program, argv, io);
}

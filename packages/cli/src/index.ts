/** @weft/cli: the `weft` command. */

import { type CliIo, processIo } from './cli-kit/io.js';
import { runProgram } from './cli-kit/run.js';
import { createProgram } from './program.js';

export type { CliIo } from './cli-kit/io.js';
export { VERSION } from './cli-kit/version.js';
export { createProgram } from './program.js';

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

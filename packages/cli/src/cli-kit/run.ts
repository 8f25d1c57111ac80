/** Runs a commander program and prints, once and clearly, every error its actions throw. */
import { type Command, CommanderError } from 'commander';
import { colours } from './colour.js';
import { commandPath, describeFailure } from './errors.js';
import type { CliIo } from './io.js';

/** Usage errors exit 2, like most Unix tools; help and version exit 0; runtime failures 1. */
const EXIT_USAGE = 2;

const QUIET_EXITS = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

/**
 * Runs `program` with `argv` (as in process.argv) and returns the exit code. Every error an
 * action throws is printed here, once, naming the command (and the flag, where one caused it);
 * errors commander already printed (unknown option, missing argument ...) are not repeated.
 */
export async function runProgram(program: Command, argv: readonly string[], io: CliIo): Promise<number> {
  const shown = new WeakSet<CommanderError>();
  let active: Command | undefined;
  const track = (command: Command): void => {
    command.exitOverride((err) => {
      shown.add(err);
      throw err;
    });
    for (const sub of command.commands) track(sub);
  };
  track(program);
  program.hook('preAction', (_self, actionCommand) => {
    active = actionCommand;
  });
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError && shown.has(err)) {
      return QUIET_EXITS.has(err.code) ? 0 : EXIT_USAGE;
    }
    const failure = describeFailure(err, active);
    const path = active === undefined ? 'weft' : commandPath(active);
    const red = colours(io.colour === true).red;
    io.stderr(`${red(`${path}:`)} ${failure.message}\n`);
    if (failure.hint !== undefined) io.stderr(`hint: ${failure.hint}\n`);
    if (failure.exitCode === EXIT_USAGE) io.stderr(`(run "${path} --help" for usage)\n`);
    return failure.exitCode;
  }
}

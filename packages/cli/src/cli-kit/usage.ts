/** One usage-error style for every command: `weft <command>: <message>` and a `--help` hint. */
import type { Command } from 'commander';
import { colours } from './colour.js';
import { commandPath } from './errors.js';
import type { CliIo } from './io.js';

/**
 * Gives `command` and all its subcommands one usage-error style:
 * `weft <command>: <message>` then `(run "weft <command> --help" for usage)`.
 */
export function applyUsageStyle(command: Command, io: CliIo): void {
  const path = commandPath(command);
  const red = colours(io.colour === true).red;
  command.showHelpAfterError(`(run "${path} --help" for usage)`).configureOutput({
    writeOut: io.stdout,
    writeErr: io.stderr,
    outputError: (text, write) => {
      const message = text.replace(/^error: /, '').replace(new RegExp(`^${path}: `), '');
      write(`${red(`${path}:`)} ${message}`);
    },
  });
  for (const sub of command.commands) applyUsageStyle(sub, io);
}

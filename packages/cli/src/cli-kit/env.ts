/**
 * Environment variables for long-running commands, and deprecated flag names. Every flag of
 * `weft control-plane`, `proxy`, `injector` and `up` can be given as WEFT_<FLAG> (`--admin-listen`
 * -> WEFT_ADMIN_LISTEN); a flag on the command line wins over its variable.
 */
import { type Command, Option } from 'commander';

const FALSE = new Set(['', '0', 'false', 'no', 'off']);

/** WEFT_ADMIN_LISTEN for `--admin-listen`; `--no-native-sidecar` keeps its `no` (WEFT_NO_NATIVE_SIDECAR). */
export function envName(option: Option): string {
  const long = (option.long ?? '').replace(/^--/, '');
  return `WEFT_${long.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * Gives every option of `command` that has no variable yet its WEFT_* variable. Boolean flags
 * read the variable as a boolean: 0, false, no, off (and empty) leave the flag off, any other
 * value turns it on (commander alone would turn it on for any value, "false" included).
 * Call it after the options are added: commander wires variables up only in addOption, so the
 * variable is read here, through the option's own parser.
 */
export function envForEveryFlag(
  command: Command,
  skip: readonly string[] = ['--help', '--version'],
): Command {
  for (const option of command.options) {
    if (option.envVar !== undefined || option.hidden || option.long === undefined) continue;
    if (skip.includes(option.long)) continue;
    const variable = envName(option);
    option.env(variable);
    const key = option.attributeName();
    command.on(`optionEnv:${option.name()}`, () => {
      const raw = process.env[variable] ?? '';
      if (!(option.required || option.optional)) {
        const off = FALSE.has(raw.trim().toLowerCase());
        if (off) return; // the flag keeps its default
        command.setOptionValueWithSource(key, !option.negate, 'env');
        return;
      }
      let value: unknown = option.variadic ? [raw] : raw;
      if (option.parseArg !== undefined) {
        try {
          value = option.parseArg(raw, undefined as never);
        } catch (err) {
          command.error(
            `option '${option.flags}' value '${raw}' from env '${variable}' is invalid. ${(err as Error).message}`,
            { exitCode: 2, code: 'commander.invalidArgument' },
          );
        }
      }
      command.setOptionValueWithSource(key, value, 'env');
    });
  }
  return command;
}

/**
 * Adds `oldFlag` (e.g. `--dir <dir>`) as a hidden, deprecated spelling of the option whose
 * attribute is `newKey`; using it prints `warning` once through `warn` and sets the new option.
 */
export function deprecatedAlias(
  command: Command,
  oldFlag: string,
  newFlag: string,
  warn: (text: string) => void,
): Command {
  const alias = new Option(oldFlag).hideHelp();
  const target = command.options.find((o) => o.long === newFlag);
  if (target === undefined) throw new Error(`deprecatedAlias: ${command.name()} has no ${newFlag}`);
  command.addOption(alias);
  command.on(`option:${alias.name()}`, (value: string) => {
    warn(`weft: ${alias.long} is deprecated; use ${newFlag}\n`);
    const parsed = target.parseArg === undefined ? value : target.parseArg(value, undefined as never);
    command.setOptionValueWithSource(target.attributeName(), parsed, 'cli');
  });
  return command;
}

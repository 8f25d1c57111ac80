/**
 * Turns an error that escaped a command's action into one clear message: which command, which
 * flag, what was wrong, and what to try. Node's raw ENOENT/EISDIR/Invalid URL texts never
 * reach the user without the flag they came from.
 */
import { statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { describeError } from '@weft/core';
import { type Command, CommanderError } from 'commander';

/** A message for the user and the exit code it carries (2: usage, 1: runtime). */
export interface CliFailure {
  message: string;
  hint?: string;
  exitCode: 1 | 2;
}

interface SystemError extends Error {
  code?: string;
  path?: string;
  input?: string;
  base?: string;
}

/** The file flag (`--ca-file`, `--filename` ...) that names a folder: fs.readFile's EISDIR has no path. */
function fileFlagNamingAFolder(command: Command): { flag: string; path: string } | undefined {
  for (const option of command.options) {
    if (option.long === undefined || !/file/.test(option.long)) continue;
    const value: unknown = command.getOptionValue(option.attributeName());
    if (typeof value !== 'string') continue;
    try {
      if (statSync(value).isDirectory()) return { flag: option.long, path: value };
    } catch {
      // not there: not the culprit of an EISDIR
    }
  }
  return undefined;
}

/** "weft token create", for messages and usage hints. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The flag (as typed, e.g. `--identity-dir`) whose value is `target` or a folder holding it. */
export function flagForValue(command: Command, target: string): string | undefined {
  const wanted = resolve(target);
  for (const option of command.options) {
    const value: unknown = command.getOptionValue(option.attributeName());
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v !== 'string' || v === '') continue;
      if (v === target) return option.long ?? option.flags;
      const mine = resolve(v);
      if (mine === wanted || wanted.startsWith(mine + sep)) return option.long ?? option.flags;
    }
  }
  return undefined;
}

const FILE_HINTS: Record<string, (flag: string) => string> = {
  ENOENT: (flag) => `check the path given to ${flag}`,
  EISDIR: (flag) => `${flag} expects a file, not a folder`,
  ENOTDIR: (flag) => `${flag} expects a folder, not a file`,
  EACCES: (flag) => `weft may not read or write what ${flag} names; check its permissions`,
  EPERM: (flag) => `weft may not read or write what ${flag} names; check its permissions`,
};

const FILE_WORDS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'is a folder',
  ENOTDIR: 'is not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/** Describes `err`, thrown while `command` ran (undefined: before any command was chosen). */
export function describeFailure(err: unknown, command: Command | undefined): CliFailure {
  if (err instanceof CommanderError) {
    return { message: err.message.replace(/^error: /, ''), exitCode: 2 };
  }
  const e = err as SystemError;
  if (command !== undefined && e instanceof Error) {
    const hint = e.code === undefined ? undefined : FILE_HINTS[e.code];
    if (e.code === 'EISDIR' && typeof e.path !== 'string') {
      const culprit = fileFlagNamingAFolder(command);
      if (culprit !== undefined) e.path = culprit.path;
    }
    if (hint !== undefined && typeof e.path === 'string') {
      const flag = flagForValue(command, e.path);
      if (flag !== undefined) {
        return {
          message: `${flag}: ${e.path}: ${FILE_WORDS[e.code as string]}`,
          hint: hint(flag),
          exitCode: 1,
        };
      }
      return { message: `${e.path}: ${FILE_WORDS[e.code as string]}`, exitCode: 1 };
    }
    if (e.code === 'ERR_INVALID_URL' && typeof e.input === 'string') {
      const flag =
        flagForValue(command, e.input) ??
        (typeof e.base === 'string' ? flagForValue(command, e.base) : undefined) ??
        'an address';
      return {
        message: `${flag}: "${e.input}" is not a URL`,
        hint: 'give a full URL such as http://127.0.0.1:7990',
        exitCode: 2,
      };
    }
  }
  return { message: describeError(err), exitCode: 1 };
}

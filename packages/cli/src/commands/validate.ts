/**
 * `weft validate`: checks manifests without running them, with the `file:line: Kind/name: reason`
 * errors `weft up` prints; exits 1 when anything would be rejected.
 */
import { resolve } from 'node:path';
import { validateManifests } from '@weft/control-plane';
import type { Command } from 'commander';
import type { CliIo } from '../cli-kit/io.js';

interface ValidateFlags {
  configDir: string[];
  file: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Runs one validation and prints it; resolves with the exit code. Exported for tests. */
export async function runValidate(flags: ValidateFlags, io: CliIo): Promise<number> {
  const report = await validateManifests({
    dirs: flags.configDir.map((d) => resolve(d)),
    files: flags.file.map((f) => resolve(f)),
  });
  for (const f of report.findings) io.stdout(`${f.text}\n`);
  const warnings = report.findings.filter((f) => f.severity === 'warning').length;
  const summary = `${report.resources} resources read, ${report.rejected} rejected, ${warnings} warnings`;
  io.stdout(`${summary}\n`);
  return report.rejected > 0 ? 1 : 0;
}

export function registerValidate(program: Command, io: CliIo): void {
  program
    .command('validate')
    .description('check manifests without running them (the errors weft up would print)')
    .option('--config-dir <dir>', 'a folder of manifests (repeatable)', collect, [])
    .option('-f, --file <file>', 'one manifest file (repeatable)', collect, [])
    .action(async (flags: ValidateFlags, command: Command) => {
      if (flags.configDir.length === 0 && flags.file.length === 0) {
        command.error('weft validate: give --config-dir DIR or -f FILE', { exitCode: 2, code: 'weft.usage' });
      }
      process.exitCode = await runValidate(flags, io);
    });
}

/**
 * The entry of `weft proxy` alone. A sidecar runs for the life of its pod, so it loads only
 * its own command: the full program also imports every other command's dependencies (the
 * control plane, the Kubernetes client, the OpenTelemetry SDK, express ...), about 25 MB of
 * resident memory per sidecar that it would never use. Errors print and exit as in index.ts:
 * usage errors 2, runtime failures 1.
 */
import { Command } from 'commander';
import { colourEnabled } from './cli-kit/colour.js';
import type { CliIo } from './cli-kit/io.js';
import { runProgram } from './cli-kit/run.js';
import { applyUsageStyle } from './cli-kit/usage.js';
import { registerProxy } from './commands/proxy.js';

const io: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  colour: colourEnabled(process.stderr),
};

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('weft').exitOverride();
  registerProxy(program, io);
  applyUsageStyle(program, io);
  return runProgram(program, argv, io);
}

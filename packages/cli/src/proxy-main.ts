/**
 * The entry of the data plane's commands alone: `weft proxy` and `weft gateway`. A sidecar or a
 * gateway runs for the life of its pod, so it loads only its own command: the full program also
 * imports every other command's dependencies (the control plane, the Kubernetes client, the
 * OpenTelemetry SDK, express, zod ...), about 25 MB of resident memory it would never use, and
 * a live heap twice the size, which every major GC marks again (for the gateway, 48 MB live
 * against 20: incremental-marking steps of 20 ms in the middle of its requests). Errors print
 * and exit as in index.ts: usage errors 2, runtime failures 1.
 */
import { Command } from 'commander';
import { colourEnabled } from './cli-kit/colour.js';
import type { CliIo } from './cli-kit/io.js';
import { runProgram } from './cli-kit/run.js';
import { applyUsageStyle } from './cli-kit/usage.js';
import { registerGateway } from './commands/gateway.js';
import { registerProxy } from './commands/proxy.js';

const io: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  colour: colourEnabled(process.stderr),
};

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('weft').exitOverride();
  registerProxy(program, io);
  registerGateway(program, io);
  applyUsageStyle(program, io);
  return runProgram(program, argv, io);
}

/** `weft up`: local mode — a control plane over a manifests folder, and proxies beside local apps. */
import type { Command } from 'commander';
import type { CliIo } from '../program.js';

export function registerUp(program: Command, io: CliIo): void {
  program
    .command('up')
    .description('run a local mesh: control plane over a folder of manifests, proxies as child processes')
    .option('--config-dir <dir>', 'folder of manifests to serve')
    .option('--demo', 'also start the demo application (web -> api v1/v2 -> store)')
    .option('--otlp <url>', 'send traces to this OTLP endpoint')
    .action(() => {
      io.stderr(
        [
          'weft up: the local mesh is not available in this build yet.',
          'What works now: the weft command itself (weft --help), the API contract (packages/api),',
          'and the test suite (npm test). The control plane, proxy and demo arrive with their issues.',
          '',
        ].join('\n'),
      );
      process.exitCode = 1;
    });
}

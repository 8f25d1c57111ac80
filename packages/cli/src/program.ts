/** Builds the `weft` command tree; each subcommand lives in its own file under commands/. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { colourEnabled } from './cli-kit/colour.js';
import { applyUsageStyle } from './cli-kit/usage.js';
import { registerCheck } from './commands/check.js';
import { registerCompletion } from './commands/completion.js';
import { registerControlPlane } from './commands/control-plane.js';
import { registerDashboard } from './commands/dashboard.js';
import { registerDebug } from './commands/debug.js';
import { registerGateway } from './commands/gateway.js';
import { registerIdentity } from './commands/identity.js';
import { registerInit } from './commands/init.js';
import { registerInject } from './commands/inject.js';
import { registerInjector } from './commands/injector.js';
import { registerInstall } from './commands/install.js';
import { registerNetpol } from './commands/netpol.js';
import { registerProxy } from './commands/proxy.js';
import { registerProxyConfig } from './commands/proxy-config.js';
import { registerStat } from './commands/stat.js';
import { registerToken } from './commands/token.js';
import { registerUninstall } from './commands/uninstall.js';
import { registerUp } from './commands/up.js';
import { registerValidate } from './commands/validate.js';
import { registerVersion } from './commands/version.js';
import { pkiIssuer } from './install/pki-issuer.js';

/** The CLI package's version (all weft packages share one version). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Where a command writes its output; injected so tests can capture it. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr may be coloured (a TTY without NO_COLOR); false when absent. */
  colour?: boolean;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  colour: colourEnabled(process.stderr),
};

/** Creates the program. Commands set `process.exitCode` or throw; index.ts prints what they throw. */
export function createProgram(io: CliIo = processIo): Command {
  const program = new Command('weft')
    .description('weft: a sidecar service mesh. Local mode by default; Kubernetes when asked.')
    .version(VERSION, '-V, --version', 'print the weft version')
    .exitOverride();
  registerUp(program, io);
  registerInstall(program, io, pkiIssuer);
  registerUninstall(program, io);
  registerCheck(program, io);
  registerInit(program, io);
  registerInject(program, io);
  registerInjector(program, io);
  registerProxy(program, io);
  registerGateway(program, io);
  registerProxyConfig(program, io);
  registerDebug(program, io);
  registerStat(program, io);
  registerDashboard(program, io);
  registerIdentity(program, io);
  registerToken(program, io);
  registerControlPlane(program, io);
  registerNetpol(program, io);
  registerVersion(program, io);
  registerCompletion(program, io);
  applyUsageStyle(program, io);
  registerValidate(program, io);
  return program;
}

/**
 * Runs `weft gateway`: a proxy (identity, Discovery, the outbound traffic path, admin) with the
 * gateway's client-facing ports on top. The config comes from the control plane's push (the
 * node announces its GatewayClass) or, with `configFile`, from that file, re-read on change.
 */
import { type Logger, silentLogger, systemRandom } from '@weft/core';
import { type RunningSidecar, type RunSidecarOptions, runSidecar } from '../run.js';
import { Gateway, type GatewayOptions } from './gateway.js';

export interface RunGatewayOptions {
  /** The proxy underneath (its inbound and outbound listeners are internal: bind them on loopback). */
  readonly sidecar: Omit<RunSidecarOptions, 'gateway' | 'extraSnapshot' | 'notReadyReason'>;
  readonly gateway: GatewayOptions;
  /** A GatewayConfig as proto3 JSON; undefined: the control plane pushes it. */
  readonly configFile?: string;
}

export interface RunningGateway {
  readonly gateway: Gateway;
  readonly proxy: RunningSidecar;
  /** Gateway listener port -> bound port, once the first config's ports are bound. */
  readonly ports: Readonly<Record<number, number>>;
  stop(deadlineMs?: number): Promise<void>;
}

export async function runGateway(o: RunGatewayOptions): Promise<RunningGateway> {
  const logger: Logger = o.sidecar.logger ?? silentLogger();
  const gateway = new Gateway(o.gateway);
  // A file that does not load at start-up is fatal (the operator sees why at once); later
  // changes that do not load are rejected and counted, and the last good config serves on.
  if (o.configFile !== undefined) gateway.loadFile(o.configFile);
  const proxy = await runSidecar({
    ...o.sidecar,
    ...(o.configFile === undefined ? { gateway: { className: o.gateway.className, sink: gateway } } : {}),
    extraSnapshot: () => gateway.snapshot(),
    notReadyReason: () => gateway.notReadyReason(),
  });
  try {
    await gateway.attach(proxy.sidecar, { logger, random: o.sidecar.random ?? systemRandom });
  } catch (err) {
    await proxy.stop(0);
    throw err;
  }
  if (o.configFile !== undefined) gateway.watchFile(o.configFile);
  return {
    gateway,
    proxy,
    ports: gateway.boundPorts(),
    async stop(deadlineMs) {
      gateway.close();
      await proxy.stop(deadlineMs);
    },
  };
}

/** `weft injector`: the mutating admission webhook server (HTTPS, POST /inject, /healthz, /metrics). */

import { readFile } from 'node:fs/promises';
import { ConfigError } from '@weft/api';
import { describeError, systemClock } from '@weft/core';
import type { InjectorConfig, InjectorMetrics, TlsMaterial } from '@weft/injector';
import { createLogger, type Logger } from '@weft/runtime';
import { type Command, Option } from 'commander';
import { envForEveryFlag } from '../cli-kit/env.js';
import {
  injectorSettingsFromFlags,
  readMeshConfig,
  type SettingsFlags,
  settingsOptions,
} from '../cli-kit/injector-settings.js';
import type { CliIo } from '../cli-kit/io.js';
import { parseListen } from '../cli-kit/listen.js';
import { untilSignal } from '../signals.js';

interface InjectorFlags extends SettingsFlags {
  meshConfig?: string;
  listen: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  identityDir?: string;
  dnsName?: string[];
  kubeconfig?: string;
  inCluster?: boolean;
}

export function registerInjector(program: Command, io: CliIo): void {
  const command = program
    .command('injector')
    .description('run the sidecar injector: the Kubernetes mutating admission webhook')
    .option('--listen <host:port>', 'where to serve HTTPS', '0.0.0.0:8443')
    .option('--tls-cert-file <file>', 'serving certificate chain (PEM); reloaded when it changes')
    .option('--tls-key-file <file>', 'serving key (PEM); reloaded when it changes')
    .option(
      '--identity-dir <dir>',
      'instead of the files: issue the serving certificate from this weft issuer',
    )
    .option(
      '--dns-name <name...>',
      'names in the issued certificate (default weft-injector.<mesh ns>.svc[.cluster.local])',
    )
    .option('--kubeconfig <path>', 'kubeconfig for reading namespaces (default: the usual lookup)')
    .option('--in-cluster', 'use the pod service account to read namespaces')
    .addOption(new Option('--mesh-config <file>', 'the mesh config (YAML or JSON)').env('WEFT_MESH_CONFIG'));
  envForEveryFlag(settingsOptions(command, true)).action(async (flags: InjectorFlags, cmd: Command) => {
    const usage = (message: string): never =>
      cmd.error(`weft injector: ${message}`, { exitCode: 2, code: 'weft.usage' });
    const {
      createReviewHandler,
      InjectorMetrics,
      loadKubeConfig,
      NamespaceCache,
      parseInjectorConfig,
      startWebhookServer,
    } = await import('@weft/injector');
    const listen = parseListen(flags.listen) ?? usage(`--listen: "${flags.listen}" is not host:port`);
    if (flags.kubeconfig !== undefined && flags.inCluster === true) {
      usage('give --kubeconfig or --in-cluster, not both');
    }
    const files = flags.tlsCertFile !== undefined || flags.tlsKeyFile !== undefined;
    if (files === (flags.identityDir !== undefined)) {
      usage('give --tls-cert-file and --tls-key-file, or --identity-dir');
    }
    if (files && (flags.tlsCertFile === undefined || flags.tlsKeyFile === undefined)) {
      usage('--tls-cert-file and --tls-key-file go together');
    }
    let config: InjectorConfig;
    let raw: { mesh: unknown; injector: Record<string, unknown> };
    try {
      raw = {
        mesh: await readMeshConfig(flags.meshConfig),
        injector: await injectorSettingsFromFlags(flags),
      };
      config = parseInjectorConfig(raw, 'weft injector');
    } catch (err) {
      if (err instanceof ConfigError) usage(err.message);
      throw err;
    }

    const logger = createLogger({ component: 'injector' });
    const metrics = new InjectorMetrics();
    const kubeConfig = loadKubeConfig(flags);

    const tls = await servingCertificate(flags, config, logger, metrics);
    const namespaces = new NamespaceCache({ kubeConfig, clock: systemClock, logger, metrics });
    // The trust anchors handed to new pods follow the mounted Secret (an anchor rotation adds and
    // later removes one): re-read every 10 s; a file that does not parse keeps the last good one.
    let current = config;
    const anchorsFile = flags.trustAnchorsFile;
    const anchorsTimer =
      anchorsFile === undefined
        ? undefined
        : setInterval(() => {
            readFile(anchorsFile, 'utf8').then(
              (pem) => {
                if (pem === current.injector.trustAnchorsPem) return;
                try {
                  current = parseInjectorConfig(
                    { mesh: raw.mesh, injector: { ...raw.injector, trustAnchorsPem: pem } },
                    `weft injector: ${anchorsFile}`,
                  );
                  logger.info({ file: anchorsFile }, 'trust anchors for new pods reloaded');
                } catch (err) {
                  logger.error(
                    { err: describeError(err), file: anchorsFile },
                    'trust anchors file refused; keeping the last good one',
                  );
                }
              },
              (err: unknown) =>
                logger.warn(
                  { err: describeError(err), file: anchorsFile },
                  'cannot read the trust anchors file',
                ),
            );
          }, 10_000);
    anchorsTimer?.unref();
    const handler = createReviewHandler({
      config: () => current,
      namespaces,
      metrics,
      logger,
      clock: systemClock,
    });
    const server = await startWebhookServer({
      handler,
      metrics,
      logger,
      tls: tls.initial,
      host: listen.host,
      port: listen.port,
      ready: () => namespaces.synced,
    });
    tls.attach((material) => server.setCertificate(material));
    await namespaces.start();
    io.stderr(`weft injector: serving https://${listen.host}:${server.address.port}/inject\n`);
    const signal = await untilSignal();
    logger.info({ signal }, 'stopping');
    if (anchorsTimer !== undefined) clearInterval(anchorsTimer);
    tls.close();
    await namespaces.close();
    await server.close();
  });
}

/** The serving certificate: files reloaded on change, or issued by the weft issuer and renewed. */
async function servingCertificate(
  flags: InjectorFlags,
  config: InjectorConfig,
  logger: Logger,
  metrics: InjectorMetrics,
): Promise<{ initial: TlsMaterial; attach(sink: (m: TlsMaterial) => void): void; close(): void }> {
  const { readTlsFiles, startIssuedTls, watchTlsFiles } = await import('@weft/injector');
  let sink: (m: TlsMaterial) => void = () => {};
  const onChange = (m: TlsMaterial) => sink(m);
  if (flags.identityDir === undefined) {
    const certFile = flags.tlsCertFile!;
    const keyFile = flags.tlsKeyFile!;
    const initial = await readTlsFiles(certFile, keyFile);
    const watcher = watchTlsFiles({
      certFile,
      keyFile,
      logger,
      onChange,
      onReload: (r) => metrics.tlsReloads.inc({ result: r.ok ? 'ok' : 'error' }),
    });
    return { initial, attach: (s) => (sink = s), close: () => watcher.close() };
  }
  const { loadIdentityDir } = await import('@weft/pki');
  const identity = await loadIdentityDir(flags.identityDir, { trustDomain: config.mesh.trustDomain });
  const ns = config.injector.meshNamespace;
  const issued = startIssuedTls({
    ca: identity.ca,
    identity: `spiffe://${identity.trustDomain}/ns/${ns}/sa/weft-injector`,
    dnsNames: flags.dnsName ?? [`weft-injector.${ns}.svc`, `weft-injector.${ns}.svc.cluster.local`],
    clock: systemClock,
    logger,
    onChange,
    onRenew: (r) => metrics.tlsReloads.inc({ result: r.ok ? 'ok' : 'error' }),
  });
  return { initial: issued.initial.material, attach: (s) => (sink = s), close: () => issued.close() };
}

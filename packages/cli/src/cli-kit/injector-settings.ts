/**
 * The sidecar-shaping flags that `weft injector` (the webhook) and `weft inject` (offline) share,
 * and the injector settings object they become.
 */
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';

/** Reads a mesh config file (YAML or JSON); undefined keeps the defaults. */
export async function readMeshConfig(file: string | undefined): Promise<unknown> {
  if (file === undefined) return undefined;
  return parseYaml(await readFile(file, 'utf8')) ?? {};
}

export interface SettingsFlags {
  image?: string;
  meshNamespace?: string;
  controlPlaneAddress?: string;
  trustAnchorsFile?: string;
  nativeSidecar: boolean;
  proxyCpu?: string;
  proxyMemory?: string;
}

/**
 * Adds the sidecar-shaping options to a command. With `env`, the options the install manifests
 * set through the environment read it (WEFT_POD_NAMESPACE is the injector's own namespace).
 */
export function settingsOptions(command: Command, env = false): Command {
  const withEnv = (option: Option, name: string) => (env ? option.env(name) : option);
  return command
    .option('--image <image>', 'the weft image for weft-init and weft-proxy')
    .addOption(
      withEnv(
        new Option('--mesh-namespace <ns>', "the mesh's own namespace (never injected)"),
        'WEFT_POD_NAMESPACE',
      ),
    )
    .option('--control-plane-address <host:port>', 'where proxies reach the control plane')
    .addOption(
      withEnv(
        new Option(
          '--trust-anchors-file <file>',
          'PEM trust anchors handed to proxies to verify the control plane',
        ),
        'WEFT_TRUST_ANCHORS_FILE',
      ),
    )
    .option('--no-native-sidecar', 'inject the proxy as the first regular container (Kubernetes < 1.29)')
    .option('--proxy-cpu <quantity>', 'default CPU request of the proxy')
    .option('--proxy-memory <quantity>', 'default memory request and limit of the proxy');
}

/** The injector settings object from flags (undefined flags keep the defaults); reads the anchors file. */
export async function injectorSettingsFromFlags(flags: SettingsFlags): Promise<Record<string, unknown>> {
  const settings: Record<string, unknown> = { nativeSidecar: flags.nativeSidecar };
  if (flags.image !== undefined) settings.image = flags.image;
  if (flags.meshNamespace !== undefined) settings.meshNamespace = flags.meshNamespace;
  if (flags.controlPlaneAddress !== undefined) settings.controlPlaneAddress = flags.controlPlaneAddress;
  if (flags.proxyCpu !== undefined) settings.proxyCpu = flags.proxyCpu;
  if (flags.proxyMemory !== undefined) settings.proxyMemory = flags.proxyMemory;
  if (flags.trustAnchorsFile !== undefined)
    settings.trustAnchorsPem = await readFile(flags.trustAnchorsFile, 'utf8');
  return settings;
}

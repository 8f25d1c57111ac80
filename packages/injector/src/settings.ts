/** The injector's own settings (proxy image, control plane address, defaults), parsed once at startup. */
import { readFileSync } from 'node:fs';
import { defaultMeshConfig, type MeshConfig, meshConfigSchema, parseConfig } from '@weft/api';
import { z } from 'zod';
import { PORTS } from './constants.js';
import { QUANTITY } from './proxy-options.js';

/** The injector package's version; weft packages share one version. */
export const INJECTOR_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const quantity = z.string().regex(QUANTITY, 'must be a Kubernetes quantity such as 100m or 128Mi');

export const injectorSettingsSchema = z.strictObject({
  /** The weft image; it holds the `weft` binary used by both `weft-init` and `weft-proxy`. */
  image: z.string().min(1).default(`ghcr.io/weft-mesh/weft:${INJECTOR_VERSION}`),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  /** Recorded in `weft.dev/injected-version`. */
  version: z.string().min(1).default(INJECTOR_VERSION),
  /** The mesh's own namespace, never injected. */
  meshNamespace: z.string().min(1).default('weft-system'),
  /** host:port of the control plane's gRPC server, as the proxy dials it. */
  controlPlaneAddress: z.string().min(1).default(`weft-control-plane.weft-system.svc:${PORTS.controlPlane}`),
  /**
   * true: the proxy is a native sidecar (an init container with restartPolicy Always; Kubernetes
   * 1.29+). false: the proxy is the first regular container, for older clusters.
   */
  nativeSidecar: z.boolean().default(true),
  /**
   * The trust anchors (PEM certificates) proxies verify the control plane with; recorded in
   * the pod and mounted as a file. Without them the proxy gets no CA file.
   */
  trustAnchorsPem: z
    .string()
    .regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/, 'must hold PEM certificates')
    .max(64 * 1024, 'is too large for a pod annotation')
    .optional(),
  /** The proxy's CPU request when no `weft.dev/proxy-cpu` annotation says otherwise. */
  proxyCpu: quantity.default('100m'),
  /** The proxy's memory request and limit when no `weft.dev/proxy-memory` annotation says otherwise. */
  proxyMemory: quantity.default('128Mi'),
});

/** Everything `injectPod` needs besides the pod and its namespace. */
export interface InjectorConfig {
  readonly mesh: MeshConfig;
  readonly injector: z.output<typeof injectorSettingsSchema>;
}

/** Builds an InjectorConfig from untrusted input, naming the bad field on error (ConfigError). */
export function parseInjectorConfig(
  input: { mesh?: unknown; injector?: unknown } = {},
  source = 'injector config',
): InjectorConfig {
  const mesh =
    input.mesh === undefined
      ? defaultMeshConfig()
      : parseConfig(meshConfigSchema, input.mesh, `${source}: mesh`);
  const injector = parseConfig(injectorSettingsSchema, input.injector ?? {}, `${source}: injector`);
  return { mesh, injector };
}

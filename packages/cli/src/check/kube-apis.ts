/** The typed Kubernetes API clients `weft check` reads a cluster with (@kubernetes/client-node 1.x). */
import {
  AdmissionregistrationV1Api,
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  createConfiguration,
  type KubeConfig,
  ServerConfiguration,
  VersionApi,
} from '@kubernetes/client-node';

/** One client per API group, all with the same credentials and per-request timeout. */
export interface KubeApis {
  readonly server: string;
  readonly version: VersionApi;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly extensions: ApiextensionsV1Api;
  readonly admission: AdmissionregistrationV1Api;
  readonly authorization: AuthorizationV1Api;
}

/** Builds the clients; every request is aborted after `timeoutMs`. */
export function kubeApis(kc: KubeConfig, timeoutMs: number): KubeApis {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error('the kubeconfig has no current cluster');
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [
      {
        pre: async (context) => {
          context.setSignal(AbortSignal.timeout(timeoutMs));
          return context;
        },
        post: async (context) => context,
      },
    ],
  });
  return {
    server: cluster.server,
    version: new VersionApi(configuration),
    core: new CoreV1Api(configuration),
    apps: new AppsV1Api(configuration),
    extensions: new ApiextensionsV1Api(configuration),
    admission: new AdmissionregistrationV1Api(configuration),
    authorization: new AuthorizationV1Api(configuration),
  };
}

/** The HTTP status of a client-node error, or undefined when the request never got an answer. */
export function statusOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** True for a 404 answer. */
export const isNotFound = (err: unknown): boolean => statusOf(err) === 404;

/**
 * A one-line description of a client-node error: the Status message of an answer, the body text
 * of a proxied answer, or the network error (the cause of a failed fetch).
 */
export function describeKubeError(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    let text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string') text = parsed.message;
    } catch {
      // not JSON: a proxied plain-text answer
    }
    text = text.trim();
    return `HTTP ${err.code}${text === '' ? '' : `: ${text}`}`;
  }
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    if (err.name === 'AbortError' || err.name === 'TimeoutError') return 'the request timed out';
    if (cause instanceof Error && cause.message !== '') return cause.message;
    return err.message;
  }
  return String(err);
}

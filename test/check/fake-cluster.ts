/**
 * A cluster for `weft check` tests: the control plane's FakeKubeApi holding exactly what
 * `weft install` renders (certificates made with @weft/pki), with the status the API server
 * and controllers would add, a real control plane AdminServer behind the service proxy path and
 * behind the pod proxy path of the one replica the Endpoints name,
 * and SelfSubjectAccessReviews answered by a test-set rule.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findManifestsDir,
  GATEWAY_API_CRDS,
  type KubeObject,
  pkiIssuer,
  renderInstall,
} from '@weft/cli/testing';
import { AdminServer, type ReadyCheck } from '@weft/control-plane';
import { FakeKubeApi } from '@weft/control-plane/testing';
import { Registry } from 'prom-client';

export const MANIFESTS = findManifestsDir() as string;
export const NAMESPACE = 'weft-system';
export const DAY_MS = 86_400_000;
/** The control plane's one replica (its Pod name). */
const REPLICA = 'weft-control-plane-0';

/** A pod with a weft-proxy native sidecar at `version`. */
export function meshedPod(namespace: string, name: string, version: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, annotations: { 'weft.dev/injected-version': version } },
    spec: {
      initContainers: [
        { name: 'weft-proxy', image: `ghcr.io/weft-mesh/weft:${version}`, restartPolicy: 'Always' },
      ],
      containers: [{ name: 'app', image: 'nginx:1.27' }],
    },
  };
}

const pluralOf = (kind: string) =>
  kind.toLowerCase().endsWith('y') ? `${kind.toLowerCase().slice(0, -1)}ies` : `${kind.toLowerCase()}s`;

export class FakeCluster {
  readonly api = new FakeKubeApi();
  readonly objects: KubeObject[];
  /** The CA the installation was made with (CaFiles for pkiIssuer). */
  readonly ca = pkiIssuer.createCa({ trustDomain: 'cluster.local' });
  /** What the control plane's /readyz reports. */
  ready: ReadyCheck[] = [{ name: 'kubernetes', ok: true }];
  /** Whether a SelfSubjectAccessReview for `resource` is allowed. */
  allow: (resource: string) => boolean = () => true;
  private installed = false;
  private readonly served = new Set(['/v1/namespaces', '/v1/pods', '/v1/services']);
  private readonly identityDir = mkdtempSync(join(tmpdir(), 'weft-check-ca-'));
  private readonly admin = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    registry: new Registry(),
    ready: () => this.ready,
    debugState: () => ({}),
    debugIdentity: () => this.rotation,
  });
  /** What the control plane's rotation report says (/identity/v1/rotation). */
  rotation: unknown = {
    step: 'steady',
    next: 'nothing to do',
    anchors: [{ fingerprint: 'a1', notAfter: 0, signsIssuer: true }],
    issuer: { fingerprint: 'i1', notAfter: 0 },
    proxies: { connected: 1, withBundle: 1, withCurrentIssuer: 1, lagging: [] },
  };

  constructor() {
    writeFileSync(join(this.identityDir, 'ca.crt'), this.ca.caCrt);
    writeFileSync(join(this.identityDir, 'issuer.crt'), this.ca.issuerCrt);
    writeFileSync(join(this.identityDir, 'issuer.key'), this.ca.issuerKey);
    writeFileSync(join(this.identityDir, 'token.key'), this.ca.tokenKey);
    this.objects = renderInstall(
      { manifestsDir: MANIFESTS, ha: false, jaeger: false, identityDir: this.identityDir },
      pkiIssuer,
    );
  }

  /** Serves the kinds of the installation (an empty cluster: nothing applied yet). */
  async start(): Promise<void> {
    const adminPort = await this.admin.listen();
    for (const o of this.objects) this.serveKind(o.apiVersion, o.kind);
    this.serveKind('v1', 'Secret');
    this.serveKind('networking.k8s.io/v1', 'NetworkPolicy');
    this.api.serve('', 'v1', 'endpoints', 'Endpoints');
    const proxyTo = (req: IncomingMessage, res: ServerResponse) => {
      const path = decodeURIComponent(req.url ?? '').split('/proxy')[1] ?? '/';
      fetch(`http://127.0.0.1:${adminPort}${path}`)
        .then(async (answer) => {
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'text/plain',
          });
          res.end(await answer.text());
        })
        .catch(() => res.destroy());
    };
    this.api.handlePath(`/api/v1/namespaces/${NAMESPACE}/pods/${REPLICA}:7990/proxy/`, (req, res) =>
      proxyTo(req, res),
    );
    this.api.handlePath(
      `/api/v1/namespaces/${NAMESPACE}/services/weft-control-plane:admin-http/proxy/`,
      (req, res) => {
        if (!this.installed) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              reason: 'NotFound',
              code: 404,
              message: 'services "weft-control-plane" not found',
            }),
          );
          return;
        }
        proxyTo(req, res);
      },
    );
    this.api.handlePath('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', (_req, res, body) => {
      const review = JSON.parse(body) as { spec: { resourceAttributes: { resource: string } } };
      const allowed = this.allow(review.spec.resourceAttributes.resource);
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ ...review, status: { allowed, ...(allowed ? {} : { reason: 'RBAC: denied' }) } }),
      );
    });
    await this.api.listen();
  }

  private serveKind(apiVersion: string, kind: string): void {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const key = `${group}/${version}/${pluralOf(kind)}`;
    if (this.served.has(key)) return;
    this.served.add(key);
    this.api.serve(group as string, version as string, pluralOf(kind), kind);
  }

  /** Applies the installation with the status a healthy cluster gives it. */
  install(): void {
    this.installed = true;
    for (const o of this.objects) this.api.apply(this.withStatus(o));
    // What the endpoints controller writes for the control plane's one ready replica.
    this.api.apply({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'weft-control-plane', namespace: NAMESPACE },
      subsets: [
        {
          addresses: [{ ip: '10.0.0.7', targetRef: { kind: 'Pod', namespace: NAMESPACE, name: REPLICA } }],
          ports: [{ name: 'admin-http', port: 7990 }],
        },
      ],
    });
  }

  /**
   * Applies the five Gateway API CRDs weft reads as a release bundle ships them (served
   * version, bundle-version and channel annotations, Established), without their schemas:
   * `weft check` reads only those fields. The real CRDs meet a real API server in
   * test/envtest/gateway.test.ts.
   */
  installGatewayApi(version = 'v1.6.1', channel = 'standard'): void {
    for (const c of GATEWAY_API_CRDS) {
      const [plural, ...group] = c.name.split('.');
      this.api.apply({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: {
          name: c.name,
          annotations: {
            'gateway.networking.k8s.io/bundle-version': version,
            'gateway.networking.k8s.io/channel': channel,
          },
        },
        spec: {
          group: group.join('.'),
          names: { kind: c.kind, plural },
          scope: c.kind === 'GatewayClass' ? 'Cluster' : 'Namespaced',
          versions: [{ name: c.version, served: true, storage: true }],
        },
        status: { conditions: [{ type: 'Established', status: 'True' }] },
      });
    }
  }

  /** Adds the status the API server (CRDs) or the Deployment controller would write. */
  withStatus(o: KubeObject): KubeObject {
    if (o.kind === 'CustomResourceDefinition') {
      return { ...o, status: { conditions: [{ type: 'Established', status: 'True' }] } };
    }
    if (o.kind === 'Deployment') {
      const replicas = (o.spec as { replicas?: number }).replicas ?? 1;
      return {
        ...o,
        status: {
          replicas,
          availableReplicas: replicas,
          readyReplicas: replicas,
          conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }],
        },
      };
    }
    return o;
  }

  /** The installed object of `kind` named `name`. */
  find(kind: string, name: string): KubeObject {
    const found = this.objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (found === undefined) throw new Error(`no ${kind} ${name} in the installation`);
    return structuredClone(found);
  }

  /** A kubeconfig file for the fake, for the `weft` binary. */
  writeKubeconfig(dir: string): string {
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: fake, cluster: {server: "http://127.0.0.1:${this.api.port}", insecure-skip-tls-verify: true}}]`,
        'users: [{name: fake, user: {token: test-token}}]',
        'contexts: [{name: fake, context: {cluster: fake, user: fake}}]',
        'current-context: fake',
        '',
      ].join('\n'),
    );
    return path;
  }

  async close(): Promise<void> {
    await this.api.close();
    await this.admin.close();
    rmSync(this.identityDir, { recursive: true, force: true });
  }
}

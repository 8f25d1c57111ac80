/**
 * A fake Kubernetes API server speaking the real wire format, so client-node's real informers
 * run against it: lists carry a resourceVersion, `?watch=true` answers a chunked stream of JSON
 * events, compacted history answers 410 Gone (an ERROR event with a Status), and tests can drop
 * watch connections, end them cleanly, or fail them with an HTTP status. It also answers
 * `GET /version`, single objects, namespaced lists, and lets a test answer other paths itself.
 * Objects of served kinds (Leases among them) are created by POST (409 AlreadyExists) and
 * replaced by PUT guarded by metadata.resourceVersion (409 Conflict), as the API server does.
 * Each client may authenticate with a token of its own (`kubeConfig(client)`), so that a test
 * can tell writers apart and fail one client's writes (a partition).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

type Obj = Record<string, unknown> & {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
};

interface Collection {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly objects: Map<string, Obj>;
  readonly history: { rv: number; type: string; object: Obj }[];
  compactedRv: number;
  readonly watchers: Set<ServerResponse>;
  lists: number;
  watches: number;
  /** The field selector of every list and watch request, in order ('' for none). */
  readonly selectors: string[];
}

export interface RecordedWrite {
  /** Who wrote: the name given to `kubeConfig(client)`, '' for the default client. */
  readonly client: string;
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly contentType: string | undefined;
}

const CORE: Record<string, string> = { Namespace: 'namespaces', Pod: 'pods', Service: 'services' };

/** Answers requests under a path prefix itself (a service proxy, an access review); `body` is the request's. */
export type PathHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export class FakeKubeApi {
  private readonly server: Server;
  private readonly collections = new Map<string, Collection>();
  private rv = 100;
  private failNext: { status: number; retryAfter: string | undefined }[] = [];
  private failWritesNext: number[] = [];
  readonly writes: RecordedWrite[] = [];
  private readonly created = new Set<string>();
  private readonly pathHandlers: Array<[string, PathHandler]> = [];
  /** What `GET /version` answers. */
  version: Record<string, string> = { major: '1', minor: '31', gitVersion: 'v1.31.0' };
  port = 0;

  /** Clients whose writes are answered 503 (a partitioned replica). */
  private readonly partitioned = new Set<string>();

  constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
    for (const [kind, plural] of Object.entries(CORE)) this.serve('', 'v1', plural, kind);
    this.serve('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice');
    this.serve('coordination.k8s.io', 'v1', 'leases', 'Lease');
  }

  /** Every write (PATCH, POST, PUT) from `client` is answered 503 until `heal(client)`. */
  partition(client: string): void {
    this.partitioned.add(client);
  }

  heal(client: string): void {
    this.partitioned.delete(client);
  }

  /** A stored object of a served kind, or undefined. */
  get(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): Record<string, unknown> | undefined {
    const obj = this.collectionOf(apiVersion, kind).objects.get(`${namespace}/${name}`);
    return obj === undefined ? undefined : structuredClone(obj);
  }

  /** Serves a collection (a CRD "installed"). */
  serve(group: string, version: string, plural: string, kind: string): void {
    this.collections.set(`${group}/${version}/${plural}`, {
      group,
      version,
      plural,
      kind,
      objects: new Map(),
      history: [],
      compactedRv: 0,
      watchers: new Set(),
      lists: 0,
      watches: 0,
      selectors: [],
    });
  }

  /** Lets `handler` answer every request whose path starts with `prefix` (checked first). */
  handlePath(prefix: string, handler: PathHandler): void {
    this.pathHandlers.push([prefix, handler]);
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const c of this.collections.values()) for (const w of c.watchers) w.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Credentials for the fake; `client` names this client in recorded writes and partitions. */
  kubeConfig(client = ''): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: `http://127.0.0.1:${this.port}`, skipTLSVerify: true }],
      users: [{ name: 'fake', token: client === '' ? 'test-token' : `test-token.${client}` }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
      currentContext: 'fake',
    });
    return kc;
  }

  private collectionOf(apiVersion: string, kind: string): Collection {
    for (const c of this.collections.values()) {
      const av = c.group === '' ? c.version : `${c.group}/${c.version}`;
      if (c.kind === kind && av === apiVersion) return c;
    }
    throw new Error(`fake API: ${apiVersion} ${kind} is not served`);
  }

  /** Creates or replaces an object; watchers get ADDED or MODIFIED. */
  apply(object: Record<string, unknown>): void {
    const obj = structuredClone(object) as Obj;
    const c = this.collectionOf(String(obj.apiVersion), String(obj.kind));
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const type = c.objects.has(key) ? 'MODIFIED' : 'ADDED';
    obj.metadata.resourceVersion = String(++this.rv);
    c.objects.set(key, obj);
    this.publish(c, type, obj);
  }

  /** Deletes an object; watchers get DELETED. */
  remove(apiVersion: string, kind: string, namespace: string, name: string): void {
    const c = this.collectionOf(apiVersion, kind);
    const key = `${namespace}/${name}`;
    const obj = c.objects.get(key);
    if (obj === undefined) return;
    c.objects.delete(key);
    const gone = structuredClone(obj);
    gone.metadata.resourceVersion = String(++this.rv);
    this.publish(c, 'DELETED', gone);
  }

  /** Forgets history: a watch from an older resourceVersion now gets 410 Gone. */
  compact(): void {
    for (const c of this.collections.values()) {
      c.compactedRv = this.rv;
      c.history.length = 0;
    }
  }

  /** Destroys every open watch connection (a network drop). */
  dropWatches(): void {
    for (const c of this.collections.values()) for (const w of c.watchers) w.socket?.destroy();
  }

  /** Ends every open watch cleanly (the server's watch timeout). */
  endWatches(): void {
    for (const c of this.collections.values()) {
      for (const w of c.watchers) w.end();
      c.watchers.clear();
    }
  }

  /** The next `count` writes (PATCH, POST) are answered with HTTP `status` (and still recorded). */
  failWrites(count: number, status: number): void {
    for (let i = 0; i < count; i++) this.failWritesNext.push(status);
  }

  /** The next `count` watch requests are answered with HTTP `status` (and `Retry-After`, when given). */
  failWatches(count: number, status: number, retryAfter?: string): void {
    for (let i = 0; i < count; i++) this.failNext.push({ status, retryAfter });
  }

  /** How many lists and watches a collection has served. */
  stats(
    group: string,
    version: string,
    plural: string,
  ): { lists: number; watches: number; open: number; selectors: readonly string[] } {
    const c = this.collections.get(`${group}/${version}/${plural}`);
    return {
      lists: c?.lists ?? 0,
      watches: c?.watches ?? 0,
      open: c?.watchers.size ?? 0,
      selectors: [...(c?.selectors ?? [])],
    };
  }

  /** POST creates (409 AlreadyExists), PUT replaces (409 Conflict on a stale resourceVersion). */
  private store(
    res: ServerResponse,
    method: string,
    routed: { c: Collection; rest: string[] },
    body: Obj,
  ): void {
    const { c } = routed;
    const [namespace = '', pathName] = routed.rest;
    const name = method === 'PUT' ? (pathName ?? '') : body.metadata?.name;
    const resource = `${c.plural}${c.group === '' ? '' : `.${c.group}`}`;
    if (name === undefined || name === '' || (method === 'PUT' && body.metadata?.name !== name)) {
      this.status(res, 400, 'BadRequest', 'the name of the object does not match the name on the URL');
      return;
    }
    const key = `${namespace}/${name}`;
    const existing = c.objects.get(key);
    if (method === 'POST' && existing !== undefined) {
      this.status(res, 409, 'AlreadyExists', `${resource} "${name}" already exists`);
      return;
    }
    if (method === 'PUT') {
      if (existing === undefined) {
        this.status(res, 404, 'NotFound', `${resource} "${name}" not found`);
        return;
      }
      const rv = body.metadata.resourceVersion;
      if (rv !== undefined && rv !== existing.metadata.resourceVersion) {
        this.status(
          res,
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
        return;
      }
    }
    const obj = structuredClone(body);
    obj.apiVersion = c.group === '' ? c.version : `${c.group}/${c.version}`;
    obj.kind = c.kind;
    obj.metadata = {
      ...(existing?.metadata ?? {}),
      ...obj.metadata,
      name,
      ...(namespace === '' ? {} : { namespace }),
      resourceVersion: String(++this.rv),
    };
    c.objects.set(key, obj);
    this.publish(c, existing === undefined ? 'ADDED' : 'MODIFIED', obj);
    res.writeHead(method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(obj));
  }

  private publish(c: Collection, type: string, object: Obj): void {
    c.history.push({ rv: this.rv, type, object });
    const line = `${JSON.stringify({ type, object })}\n`;
    for (const w of c.watchers) if (this.selected.get(w)?.(object) ?? true) w.write(line);
  }

  /** Field selectors of open watches (only `type=<value>`, as the Secret informer uses, is faked). */
  private readonly selected = new WeakMap<ServerResponse, (o: Obj) => boolean>();

  private route(path: string): { c: Collection; rest: string[] } | undefined {
    const parts = path.split('/').filter((p) => p !== '');
    let group: string;
    let rest: string[];
    if (parts[0] === 'api') {
      group = '';
      rest = parts.slice(1);
    } else if (parts[0] === 'apis') {
      group = parts[1] ?? '';
      rest = parts.slice(2);
    } else return undefined;
    const version = rest[0] ?? '';
    // Collection: /<version>/<plural>; object: /<version>/namespaces/<ns>/<plural>/<name>[/status]
    // A cluster-scoped object's status: /<version>/<plural>/<name>/status
    if (rest.length === 4 && rest[1] !== 'namespaces' && rest[3] === 'status') {
      const c = this.collections.get(`${group}/${version}/${rest[1]}`);
      return c === undefined ? undefined : { c, rest: ['', rest[2] as string, 'status'] };
    }
    if (rest.length === 2 || rest.length === 3) {
      const c = this.collections.get(`${group}/${version}/${rest[1]}`);
      return c === undefined ? undefined : { c, rest: rest.length === 3 ? ['', rest[2] as string] : [] };
    }
    if (rest[1] === 'namespaces' && rest.length >= 4) {
      const c = this.collections.get(`${group}/${version}/${rest[3]}`);
      return c === undefined ? undefined : { c, rest: [rest[2] as string, ...rest.slice(4)] };
    }
    return undefined;
  }

  private status(
    res: ServerResponse,
    code: number,
    reason: string,
    message: string,
    retryAfter?: string,
  ): void {
    res.writeHead(code, {
      'content-type': 'application/json',
      ...(retryAfter === undefined ? {} : { 'retry-after': retryAfter }),
    });
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason,
        code,
      }),
    );
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const custom = this.pathHandlers.find(([prefix]) => decodeURIComponent(url.pathname).startsWith(prefix));
    if (custom !== undefined) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => custom[1](req, res, Buffer.concat(chunks).toString('utf8')));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/version') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.version));
      return;
    }
    const client = clientOf(req.headers.authorization);
    if (req.method !== 'GET') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        this.writes.push({
          client: client ?? '',
          method: req.method ?? '',
          path: url.pathname,
          body: text === '' ? undefined : JSON.parse(text),
          contentType: req.headers['content-type'],
        });
        if (client !== undefined && this.partitioned.has(client)) {
          this.status(res, 503, 'ServiceUnavailable', 'injected partition: writes from this client fail');
          return;
        }
        const failure = this.failWritesNext.shift();
        if (failure !== undefined) {
          this.status(res, failure, 'InternalError', 'injected write failure');
          return;
        }
        const routed = this.route(url.pathname);
        if (routed !== undefined && (req.method === 'POST' || req.method === 'PUT')) {
          this.store(res, req.method, routed, JSON.parse(text) as Obj);
          return;
        }
        if (req.method === 'POST') {
          const name = (JSON.parse(text) as { metadata?: { name?: string } }).metadata?.name ?? '';
          const key = `${url.pathname}/${name}`;
          if (this.created.has(key)) {
            this.status(res, 409, 'AlreadyExists', `${name} already exists`);
            return;
          }
          this.created.add(key);
        }
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
        res.end(text === '' ? '{}' : text);
      });
      return;
    }
    if (client === undefined) {
      this.status(res, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    const routed = this.route(url.pathname);
    if (routed === undefined || routed.rest.length > 2) {
      this.status(res, 404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
      return;
    }
    const { c } = routed;
    const [namespace, name] = routed.rest;
    if (name !== undefined) {
      const obj = c.objects.get(`${namespace}/${name}`);
      if (obj === undefined) {
        this.status(
          res,
          404,
          'NotFound',
          `${c.plural}${c.group === '' ? '' : `.${c.group}`} "${name}" not found`,
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      if (namespace !== undefined) {
        this.status(res, 404, 'NotFound', `namespaced watches are not faked (${url.pathname})`);
        return;
      }
      c.watches++;
      c.selectors.push(url.searchParams.get('fieldSelector') ?? '');
      const failure = this.failNext.shift();
      if (failure !== undefined) {
        this.status(res, failure.status, 'InternalError', 'injected watch failure', failure.retryAfter);
        return;
      }
      const from = Number(url.searchParams.get('resourceVersion') ?? '0');
      const select = fieldSelectorOf(url);
      this.selected.set(res, select);
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      // As the real API server does: the answer starts at once, before any event.
      res.flushHeaders();
      if (from < c.compactedRv) {
        const gone = {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `too old resource version: ${from} (${c.compactedRv})`,
          reason: 'Expired',
          code: 410,
        };
        res.end(`${JSON.stringify({ type: 'ERROR', object: gone })}\n`);
        return;
      }
      for (const e of c.history)
        if (e.rv > from && select(e.object))
          res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
      c.watchers.add(res);
      res.on('close', () => c.watchers.delete(res));
      return;
    }
    c.lists++;
    c.selectors.push(url.searchParams.get('fieldSelector') ?? '');
    const core = c.group === '';
    const inNamespace = (o: Obj) => namespace === undefined || o.metadata.namespace === namespace;
    const select = fieldSelectorOf(url);
    const items = [...c.objects.values()]
      .filter((o) => inNamespace(o) && select(o))
      .map((o) => {
        if (!core) return o;
        const { apiVersion: _a, kind: _k, ...rest } = o;
        return rest;
      });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        apiVersion: core ? c.version : `${c.group}/${c.version}`,
        kind: `${c.kind}List`,
        metadata: { resourceVersion: String(this.rv) },
        items,
      }),
    );
  }
}

/** The client named by a fake token (`test-token` -> '', `test-token.x` -> 'x'), or undefined. */
function clientOf(authorization: string | undefined): string | undefined {
  if (authorization === 'Bearer test-token') return '';
  const prefix = 'Bearer test-token.';
  return authorization?.startsWith(prefix) === true ? authorization.slice(prefix.length) : undefined;
}

/** The objects a request's `fieldSelector` keeps: `type=<value>` is understood; no selector keeps all. */
function fieldSelectorOf(url: URL): (o: Obj) => boolean {
  const selector = url.searchParams.get('fieldSelector');
  if (selector === null) return () => true;
  const m = /^type=(.+)$/.exec(selector);
  if (m === null) throw new Error(`fake API: field selector ${selector} is not faked`);
  return (o) => o.type === m[1];
}

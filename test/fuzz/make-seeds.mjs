// Writes the seed corpus of every fuzz target (`node test/fuzz/make-seeds.mjs` after `tsc -b`).
// Seeds are valid or nearly valid inputs, so the fuzzer starts past the parsers' first checks.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { parse } from 'yaml';
import { loadDiscoveryProto } from '../../packages/api/dist/index.js';
import { FUZZ_DIR, REPO_DIR } from './targets/registry.mjs';

function write(target, name, bytes) {
  const dir = join(FUZZ_DIR, 'corpus', target);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), bytes);
}

// http1-head: byte 0 bit 0 = response, bits 1.. = the request method a response answers.
const requests = {
  get: 'GET /a?b=c HTTP/1.1\r\nHost: svc.shop:80\r\nAccept: */*\r\n\r\n',
  post: 'POST /v1/items HTTP/1.1\r\nHost: api\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello',
  chunked: 'PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n',
  upgrade: 'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, keep-alive\r\nUpgrade: websocket\r\n\r\n',
  http10:
    'GET http://svc/admin HTTP/1.0\r\nConnection: keep-alive, x-hop\r\nX-Hop: 1\r\nTE: trailers\r\n\r\n',
};
for (const [name, text] of Object.entries(requests)) {
  write('http1-head', `request-${name}`, Buffer.concat([Buffer.of(0), Buffer.from(text, 'latin1')]));
}
const responses = {
  ok: [0, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: a=b\r\n\r\nhi'],
  chunked: [0, 'HTTP/1.1 500 Oops\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'],
  head: [2, 'HTTP/1.1 200 OK\r\nContent-Length: 120\r\n\r\n'],
  close: [0, 'HTTP/1.0 404 \r\nServer: x\r\n\r\n'],
  switching: [1, 'HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n'],
};
for (const [name, [method, text]] of Object.entries(responses)) {
  const selector = 1 | (method << 1);
  write('http1-head', `response-${name}`, Buffer.concat([Buffer.of(selector), Buffer.from(text, 'latin1')]));
}

// http1-body: byte 0 = framing (0 chunked, 1 length, 2 close, 3 none), byte 1 = where to split.
const bodies = {
  chunked: [0, 7, '5\r\nhello\r\n0\r\n\r\n'],
  'chunked-ext-trailer': [0, 3, 'a;name=v\r\n0123456789\r\n0\r\nX-Sum: 1\r\n\r\nGET'],
  length: [1, 9, '\u0000\u0010sixteen bytes!!!'],
  close: [2, 4, 'until the end'],
};
for (const [name, [framing, cut, text]] of Object.entries(bodies)) {
  write('http1-body', name, Buffer.concat([Buffer.of(framing, cut), Buffer.from(text, 'latin1')]));
}

// discovery-validate: DiscoveryResponse messages as the control plane sends them.
const stream = loadDiscoveryProto().weft.discovery.v1alpha1.Discovery.service.Stream;
const endpoint = {
  address: '10.0.0.7',
  port: 8080,
  identity: 'spiffe://cluster.local/ns/shop/sa/api',
  weight: 1,
  meshed: { inboundPort: 7143 },
};
const responsesPushed = {
  destination: {
    versionInfo: '1',
    nonce: 'n1',
    resources: [
      {
        name: 'api.shop.svc.cluster.local:80',
        destination: {
          authority: 'api.shop.svc.cluster.local:80',
          service: 'api',
          namespace: 'shop',
          port: 80,
          protocol: 'PROTOCOL_HTTP',
          routes: [
            {
              name: 'canary',
              matches: [
                { path: { prefix: '/api' }, method: 'POST', headers: [{ name: 'x-canary', exact: 'true' }] },
                { path: { regex: '/v[0-9]+/.*' } },
              ],
              backends: [
                { backend: 'api-v1.shop:80', weight: 90 },
                { backend: 'api-v2.shop:80', weight: 10 },
              ],
              requestTimeout: { seconds: 2 },
              retry: { attempts: 2, on: ['5xx', 'reset'] },
            },
          ],
          backends: [
            { name: 'api-v1.shop:80', service: 'api-v1', namespace: 'shop', port: 80, endpoints: [endpoint] },
            { name: 'api-v2.shop:80', service: 'api-v2', namespace: 'shop', port: 80, endpoints: [] },
          ],
        },
      },
      { name: 'gone.shop.svc.cluster.local:80', doesNotExist: { reason: 'no such service' } },
    ],
    removedNames: ['old:80'],
  },
  policy: {
    versionInfo: '2',
    nonce: 'n2',
    resources: [
      {
        name: 'inbound',
        inboundPolicy: {
          defaultAction: 'DEFAULT_ACTION_ALLOW_AUTHENTICATED',
          mtlsMode: 'MTLS_MODE_STRICT',
          ports: [{ port: 8080, protocol: 'PROTOCOL_HTTP' }],
          rules: [
            {
              name: 'shop/admin',
              action: 'AUTHORIZATION_ACTION_DENY',
              from: [{ namespaces: ['web'], unauthenticated: true }],
              to: [{ ports: [8080], methods: ['GET'], paths: ['/admin/*', '/exact'] }],
            },
          ],
        },
      },
      {
        name: 'mesh',
        meshConfig: {
          tracing: { endpoint: 'http://127.0.0.1:4318', protocol: 'http/protobuf', sampling: 0.5 },
        },
      },
    ],
  },
};
for (const [name, message] of Object.entries(responsesPushed)) {
  write('discovery-validate', name, stream.responseSerialize(message));
}

// admission-review: the injector's pod fixtures wrapped in AdmissionReview requests.
const fixtures = join(REPO_DIR, 'test', 'fixtures', 'injector');
let n = 0;
for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.yaml'))) {
  const pod = parse(readFileSync(join(fixtures, file), 'utf8'));
  if (pod?.kind !== 'Pod') continue;
  const namespace = ['shop', 'plain', undefined][n++ % 3];
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${n}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      ...(namespace === undefined ? {} : { namespace }),
      operation: 'CREATE',
      dryRun: n % 2 === 0,
      object: pod,
    },
  };
  write('admission-review', file.replace(/\.yaml$/, '.json'), JSON.stringify(review));
}
const annotated = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'uid-annotated',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    namespace: 'plain',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web',
        labels: { app: 'web' },
        annotations: {
          'weft.dev/inject': 'enabled',
          'weft.dev/proxy-cpu': '200m',
          'weft.dev/proxy-memory': '64Mi',
          'weft.dev/skip-inbound-ports': '9090,9091',
          'weft.dev/skip-outbound-ports': '5432',
          'weft.dev/skip-outbound-cidrs': '10.0.0.0/8',
          'weft.dev/opaque-ports': '3306',
          'weft.dev/inbound-policy': 'deny',
          'weft.dev/trace-sampling': '0.25',
        },
      },
      spec: {
        serviceAccountName: 'web',
        containers: [{ name: 'web', image: 'web:1', ports: [{ containerPort: 8080 }] }],
      },
    },
  },
};
write('admission-review', 'annotated.json', JSON.stringify(annotated));

// admission-review, structured mode (inputs not starting with '{'): all-zero bytes build a pod that
// is injected; a few set bits vary annotations, ports and request fields from there.
for (const [name, pattern] of Object.entries({
  zeros: [],
  sparse: [1, 7, 19, 40],
  dense: [2, 3, 5, 8, 13, 21, 34, 55],
})) {
  const bytes = Buffer.alloc(128);
  for (const i of pattern) bytes[i] = 0x01 + i;
  write('admission-review', `structured-${name}`, bytes);
}

// request-target: byte 0 = options (bit 0 merge slashes, bits 1-2 escaped slashes, bit 3
// backslash, bits 4-5 method), then the target; seeds are the bypass shapes the corpus tests use.
const targets = {
  plain: '/v1/items?x=1',
  encoded: '/%61dmin',
  double: '/%2561dmin',
  dots: '/x/../admin/./y',
  slashes: '//admin///x',
  escaped: '/a%2Fb%5Cc',
  backslash: '/a\\..\\admin',
  params: '/admin;x=1',
  absolute: 'http://svc.shop:80/admin?q',
  relative: 'admin',
  fragment: '/admin#frag',
  overlong: '/%C0%AFadmin',
  nul: '/admin%00.txt',
  asterisk: '*',
  connect: 'svc.shop:443',
};
for (const [name, text] of Object.entries(targets)) {
  const selector = name === 'asterisk' ? 0x11 : name === 'connect' ? 0x21 : 0x01;
  write('request-target', name, Buffer.concat([Buffer.of(selector), Buffer.from(text, 'latin1')]));
}

// weft2-frame: byte 0 = where to split; then frames as a client sidecar sends them.
{
  const frame = (type, stream, payload = Buffer.alloc(0)) => {
    const h = Buffer.alloc(9);
    h[0] = type;
    h.writeUInt32BE(stream, 2);
    h.writeUIntBE(payload.length, 6, 3);
    return Buffer.concat([h, payload]);
  };
  const u32 = (n) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const open = Buffer.from('WFT\x01\x01\x00\x00\x50', 'latin1');
  const request = Buffer.from('GET / HTTP/1.1\r\nHost: b\r\n\r\n', 'latin1');
  const seeds = {
    'open-data-end': [frame(0, 1, open), frame(1, 1, request), frame(2, 1)],
    'window-reset': [frame(4, 1, u32(32768)), frame(3, 3, u32(0))],
    goaway: [frame(5, 0, Buffer.concat([u32(7), u32(3)]))],
    'partial-data': [frame(0, 1, open), frame(1, 1, request).subarray(0, 20)],
    'bad-type': [frame(0, 1, open), frame(9, 1)],
  };
  for (const [name, frames] of Object.entries(seeds)) {
    write('weft2-frame', name, Buffer.concat([Buffer.of(13), ...frames]));
  }
}

// dns-query: byte 0 = transport (bit 0: TCP) and upstream failure (bit 1); then a DNS message.
const dnsQueries = {
  'mesh-a': [0, 'api.demo.svc.cluster.local', 'A'],
  'short-aaaa': [1, 'api', 'AAAA'],
  'headless-truncated': [0, 'db.demo', 'A'],
  'nxdomain-txt': [0, 'nope.demo.svc.cluster.local', 'TXT'],
  forwarded: [0, 'example.com', 'A'],
  'forward-failing': [2, 'example.org', 'MX'],
};
for (const [name, [selector, qname, type]] of Object.entries(dnsQueries)) {
  const query = dnsPacket.encode({
    type: 'query',
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: qname, type, class: 'IN' }],
    ...(name === 'forwarded'
      ? { additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, flags: 0, options: [] }] }
      : {}),
  });
  write('dns-query', name, Buffer.concat([Buffer.of(selector), query]));
}

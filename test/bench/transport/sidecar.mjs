// One in-process sidecar for the transport measurement (records.mjs starts two of these as child
// processes): `node sidecar.mjs <config JSON>`. Prints "ready <port>" (B: inbound; A: the upstream
// listener) once listening. The weft.2 switch is WEFT2=0|1; no control plane: A's destination is
// pushed in process, pointing at B's inbound port (or the counting relay in front of it).
import { readFileSync } from 'node:fs';
import { DiscoveryState } from '../../../packages/proxy/dist/discovery/state.js';
import { defaultProxyOptions } from '../../../packages/proxy/dist/options.js';
import { Sidecar } from '../../../packages/proxy/dist/proxy.js';
import { StaticCertificateSource } from '../../../packages/proxy/dist/tls/certificate-source.js';

const c = JSON.parse(process.argv[2]);
const AUTHORITY = 'b.default.svc.cluster.local:80';
const pem = readFileSync(c.pem, 'utf8');
const key = pem.slice(pem.indexOf('-----BEGIN EC PRIVATE KEY-----'));
const material = {
  key,
  certChain: pem.slice(0, pem.indexOf('-----BEGIN EC')),
  trustBundle: readFileSync(c.ca, 'utf8'),
};
const state = new DiscoveryState();
const common = {
  listenHost: '127.0.0.1',
  adminHost: '127.0.0.1',
  inboundPort: 0,
  outboundPort: 0,
  adminPort: 0,
};
const weft2 = process.env.WEFT2 !== '0';
const options =
  c.role === 'b'
    ? defaultProxyOptions({
        namespace: 'default',
        service: 'b',
        ...common,
        weft2,
        inbound: [{ servicePort: 80, appHost: '127.0.0.1', appPort: c.originPort }],
      })
    : defaultProxyOptions({
        namespace: 'default',
        service: 'a',
        ...common,
        weft2,
        upstreams: [{ authority: AUTHORITY, host: '127.0.0.1', port: 0 }],
      });
const sidecar = new Sidecar(options, {
  certificates: new StaticCertificateSource(material),
  resolver: state,
  policies: state,
});
const ports = await sidecar.start();
if (c.role === 'a') {
  const endpoint = {
    address: '127.0.0.1',
    port: 80,
    identity: c.peerId,
    weight: 1,
    zone: '',
    meshed: { inboundPort: c.peerPort },
    labels: {},
  };
  const backend = {
    name: 'b.default:80',
    service: 'b',
    namespace: 'default',
    port: 80,
    endpoints: [endpoint],
  };
  const destination = {
    authority: AUTHORITY,
    service: 'b',
    namespace: 'default',
    port: 80,
    protocol: 'PROTOCOL_HTTP',
    routes: [],
    backends: [backend],
    policy: null,
  };
  state.apply({
    versionInfo: '1',
    nonce: 'n1',
    resources: [{ name: AUTHORITY, version: '1', kind: 'destination', destination }],
    removedNames: [],
  });
}
process.stdout.write(`ready ${c.role === 'a' ? ports.upstreams[AUTHORITY] : ports.inbound}\n`);
process.on('SIGTERM', () => sidecar.close().then(() => process.exit(0)));

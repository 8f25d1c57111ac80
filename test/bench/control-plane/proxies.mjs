#!/usr/bin/env node
// One load-generating process of bench-control-plane.mjs: its share of the simulated proxies, each
// a real gRPC Discovery stream over mTLS with a certificate it asked for itself. Per proxy, as the
// real sidecar does:
//   - Certify: a fresh key and CSR with its join token (the sidecar's own requestSvid); after a
//     failure it retries with the CertificateManager's backoff (1 s doubling to 60 s, full jitter);
//   - Discovery: sends its node, ACKs every response, subscribes to its names; when the stream
//     breaks it reconnects with the sidecar's Backoff (@weft/runtime: 100 ms doubling to 5 s, full
//     jitter; the first retry after a working stream waits at most the base).
// In `cold` resync mode (the default) a proxy asks for a new certificate before it reconnects, the
// worst case (every certificate reissued, as after an issuer change or a fleet-wide restart); in
// `warm` mode it reconnects with the certificate it holds (a control-plane upgrade with the same CA).
// Certify goes over one Identity channel per load process (the CA's cost, not the channel's, is
// measured); every Discovery stream has its own channel, TLS connection and client certificate.
// A load process runs at the niceness it is given (default 19), below the control plane it measures.
// Reports over IPC: `synced` (a proxy has its subscriptions answered), `seen` (a destination
// carrying change marker zone "chg-<id>" arrived), `certify` outcomes, and stream errors.
import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { credentials } from '@grpc/grpc-js';
import { loadDiscoveryProto } from '@weft/api';
import { CONTROL_PLANE_SERVER_NAME } from '@weft/pki/workload';
// The sidecar's own pieces: its Certify client and request, and @weft/runtime's backoff.
import { grpcCertificateClient, requestSvid } from '@weft/proxy';
import { Backoff } from '@weft/runtime';

const now = () => performance.timeOrigin + performance.now();
const Discovery = loadDiscoveryProto().weft.discovery.v1alpha1.Discovery;
/** The sidecar's defaults: CertificateManager retry and DiscoveryStreamClient reconnect backoff (full jitter). */
const CERTIFY_BACKOFF = { baseMs: 1000, maxMs: 60_000 };
const STREAM_BACKOFF = { baseMs: 100, maxMs: 5000 };

const outbox = { seen: [], synced: [], certify: [], errors: 0 };
let flushScheduled = false;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function flushSoon() {
  if (flushScheduled) return;
  flushScheduled = true;
  setTimeout(() => {
    flushScheduled = false;
    process.send({
      type: 'report',
      seen: outbox.seen,
      synced: outbox.synced,
      certify: outbox.certify,
      errors: outbox.errors,
      cpuMs: cpuMs(),
    });
    outbox.seen = [];
    outbox.synced = [];
    outbox.certify = [];
    outbox.errors = 0;
  }, 5);
}

/** A transport failure's kind, for the outcome counts (the messages carry timings). */
function transportKind(message) {
  if (message.startsWith('Deadline exceeded')) return 'deadline-exceeded';
  if (message.startsWith('No connection established')) return 'no-connection';
  return `transport: ${message.slice(0, 40)}`;
}

let stopping = false;
const proxies = [];

class SimulatedProxy {
  constructor(spec, env) {
    this.spec = spec;
    this.env = env;
    this.svid = undefined;
    this.credentialsFor = undefined;
    this.credentials = undefined;
    this.client = undefined;
    this.certifyBackoff = new Backoff(CERTIFY_BACKOFF);
    this.backoff = new Backoff(STREAM_BACKOFF);
    this.seen = new Map();
  }

  start() {
    void this.certify();
  }

  async certify() {
    if (stopping) return;
    const result = await requestSvid({
      client: this.env.certClient,
      token: this.spec.token,
      trustDomain: 'cluster.local',
      now: Date.now(),
    });
    if (stopping) return;
    if (result.type === 'ok') {
      this.certifyBackoff.reset();
      this.svid = result.svid;
      outbox.certify.push([now(), 'issued']);
      flushSoon();
      this.connect();
      return;
    }
    outbox.certify.push([
      now(),
      result.reason === 'transport' ? transportKind(result.message) : result.reason,
    ]);
    flushSoon();
    setTimeout(() => void this.certify(), this.certifyBackoff.next());
  }

  connect() {
    if (stopping) return;
    const { tls } = this.svid;
    // One set of credentials per certificate held, as the sidecar keeps (control-plane-link.ts).
    if (this.credentialsFor !== this.svid) {
      this.credentialsFor = this.svid;
      this.credentials = credentials.createSsl(
        Buffer.from(tls.ca),
        Buffer.from(tls.key),
        Buffer.from(tls.cert),
      );
    }
    const client = new Discovery(`127.0.0.1:${this.env.port}`, this.credentials, {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      // As the sidecar does when it dials the control plane by IP.
      'grpc.ssl_target_name_override': CONTROL_PLANE_SERVER_NAME,
    });
    this.client = client;
    const call = client.Stream();
    let first = true;
    let synced = false;
    let ended = false;
    call.on('data', (r) => {
      call.write({ ack: { versionInfo: r.versionInfo, nonce: r.nonce } });
      if (first) {
        first = false;
        call.write({ subscribe: { names: this.spec.names } });
        return;
      }
      let answered = false;
      for (const res of r.resources) {
        if (res.destination == null) continue;
        answered = true;
        let marker = -1;
        for (const b of res.destination.backends) {
          for (const e of b.endpoints) {
            if (e.zone.startsWith('chg-')) marker = Math.max(marker, Number(e.zone.slice(4)));
          }
        }
        const last = this.seen.get(res.name) ?? -1;
        if (marker > last) {
          this.seen.set(res.name, marker);
          outbox.seen.push([marker, this.spec.index, now()]);
          flushSoon();
        }
      }
      if (answered && !synced) {
        synced = true;
        this.backoff.reset();
        outbox.synced.push([this.spec.index, now()]);
        flushSoon();
      }
    });
    const broken = () => {
      if (ended) return;
      ended = true;
      client.close();
      if (stopping) return;
      outbox.errors++;
      flushSoon();
      // Cold mode: a stream that worked and broke means the control plane restarted; ask for a new
      // certificate first. A connection attempt that failed retries with the certificate it has.
      setTimeout(() => {
        if (this.env.resync === 'cold' && synced) void this.certify();
        else this.connect();
      }, this.backoff.next());
    };
    call.on('error', broken);
    call.on('end', broken);
    call.write({
      node: { workload: this.spec.workload, namespace: this.spec.namespace, proxyVersion: 'bench' },
    });
  }
}

process.on('message', (m) => {
  if (m.type === 'start') {
    // Below the control plane (the subject) when both share the machine's cores.
    setPriority(m.nice);
    const env = {
      port: m.port,
      resync: m.resync,
      certClient: grpcCertificateClient({ address: `127.0.0.1:${m.port}`, trustAnchorsPem: m.ca }),
    };
    for (const spec of m.proxies) {
      const p = new SimulatedProxy(spec, env);
      proxies.push(p);
      p.start();
    }
  }
  if (m.type === 'stop') {
    stopping = true;
    for (const p of proxies) p.client?.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });

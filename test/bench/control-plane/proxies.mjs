#!/usr/bin/env node
// Simulated proxies for bench-control-plane.mjs: N real gRPC Discovery streams over mTLS, in a
// process of their own. Each proxy sends its node, ACKs every response, subscribes to its names,
// and reports (over IPC) when a destination carrying a change marker (zone "chg-<id>") arrives.
import { performance } from 'node:perf_hooks';
import { credentials } from '@grpc/grpc-js';
import { loadDiscoveryProto } from '@weft/api';

const now = () => performance.timeOrigin + performance.now();
const Discovery = loadDiscoveryProto().weft.discovery.v1alpha1.Discovery;
const clients = [];
let reports = [];
let scheduled = false;

function report(id, proxy, t) {
  reports.push([id, proxy, t]);
  if (scheduled) return;
  scheduled = true;
  setTimeout(() => {
    scheduled = false;
    process.send({ type: 'seen', reports });
    reports = [];
  }, 5);
}

function start({ port, ca, proxies }) {
  let subscribed = 0;
  const seen = proxies.map(() => new Map());
  proxies.forEach((p, index) => {
    const client = new Discovery(
      `127.0.0.1:${port}`,
      credentials.createSsl(Buffer.from(ca), Buffer.from(p.key), Buffer.from(p.chain)),
      {
        'grpc.use_local_subchannel_pool': 1,
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
      },
    );
    clients.push(client);
    const call = client.Stream();
    let first = true;
    call.on('data', (r) => {
      call.write({ ack: { versionInfo: r.versionInfo, nonce: r.nonce } });
      if (first) {
        first = false;
        call.write({ subscribe: { names: p.names } });
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
        const last = seen[index].get(res.name) ?? -1;
        if (marker > last) {
          seen[index].set(res.name, marker);
          report(marker, index, now());
        }
      }
      if (answered && p.pending !== 0) {
        p.pending = 0;
        if (++subscribed === proxies.length) process.send({ type: 'subscribed' });
      }
    });
    call.on('error', (err) =>
      process.send({ type: 'error', proxy: index, message: err.details ?? err.message }),
    );
    call.write({ node: { workload: p.workload, namespace: p.namespace, proxyVersion: 'bench' } });
  });
}

process.on('message', (m) => {
  if (m.type === 'start') start(m);
  if (m.type === 'stop') {
    for (const c of clients) c.close();
    process.exit(0);
  }
});
process.send({ type: 'ready' });

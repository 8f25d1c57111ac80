// A simulated mesh for the dashboard benches: N proxies, each serving one of N/10 services,
// called by 5 client identities over 4 routes, with 3 backends, as Prometheus text whose
// counters grow by a given round. Realistic size: ~170 sample lines per proxy.
const TD = 'spiffe://cluster.local/ns/shop/sa';
const BOUNDS = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export function endpoints(n) {
  return Array.from({ length: n }, (_, i) => ({
    namespace: 'shop',
    workload: `w${i}`,
    service: `svc-${i % Math.max(1, Math.floor(n / 10))}`,
    address: '127.0.0.1',
    adminPort: 20_000 + i,
  }));
}

export function streams(eps) {
  return eps.map((e, i) => ({
    id: `p${i}`,
    identity: `${TD}/${e.workload}`,
    workload: e.workload,
    proxyVersion: '0.1.0',
    subscriptions: [],
    acked: { mesh: 'v1', inbound: 'v1' },
    rejected: {},
  }));
}

export function exposition(i, round) {
  const lines = [];
  for (let c = 0; c < 5; c++) {
    const peer = `direction="inbound",authority="svc.shop:80",route="",peer_identity="${TD}/w${(i + c + 1) % 1000}",tls="true"`;
    const n = round * (10 + c);
    lines.push(`weft_requests_total{${peer}} ${n}`);
    lines.push(`weft_responses_total{${peer},status_code="200",classification="success"} ${n - round}`);
    lines.push(`weft_responses_total{${peer},status_code="503",classification="failure"} ${round}`);
    for (const le of BOUNDS)
      lines.push(`weft_response_latency_ms_bucket{${peer},le="${le}"} ${le >= 5 ? n : Math.floor(n / 2)}`);
    lines.push(`weft_response_latency_ms_bucket{${peer},le="+Inf"} ${n}`);
  }
  for (let r = 0; r < 4; r++) {
    const out = `direction="outbound",authority="svc-${(i + r) % 100}.shop:80",route="r${r}",peer_identity="${TD}/x",tls="true"`;
    lines.push(`weft_requests_total{${out}} ${round * 7}`);
    lines.push(`weft_responses_total{${out},status_code="200",classification="success"} ${round * 7}`);
    for (const le of BOUNDS) lines.push(`weft_response_latency_ms_bucket{${out},le="${le}"} ${round * 7}`);
  }
  for (let b = 0; b < 3; b++) {
    lines.push(`weft_proxy_upstream_attempts_total{backend="b${b}.shop:80",outcome="2xx"} ${round * 5}`);
    lines.push(`weft_proxy_retries_total{backend="b${b}.shop:80"} ${round}`);
    lines.push(`weft_proxy_retry_stops_total{backend="b${b}.shop:80",reason="budget-exhausted"} ${round}`);
  }
  lines.push('weft_identity_cert_expiration_timestamp_seconds 2000000000', 'process_start_time_seconds 1000');
  return `${lines.join('\n')}\n`;
}

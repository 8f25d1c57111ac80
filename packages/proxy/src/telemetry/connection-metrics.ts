/**
 * Transport metrics of a proxy: TCP connections opened and closed with their bytes, TLS
 * handshakes and their failures, and the workload certificate's expiry. Sockets are counted
 * when they open and close; bytes are read from the socket when it closes (and from the
 * open ones when scraped), so nothing runs per packet. Sockets handed to the splice relay add
 * the addon's live counts (net/socket-bytes.ts).
 */

import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { bytesRead, bytesWritten } from '../net/socket-bytes.js';
import type { CertificateMaterial } from '../tls/certificate-source.js';
import type { Renderable } from './metrics-registry.js';
import { escapeLabelValue } from './request-metrics.js';

/** Counts of one connection label set. */
class ConnSeries {
  opened = 0;
  closed = 0;
  readBytes = 0;
  writeBytes = 0;
  readonly open = new Set<Socket>();

  constructor(readonly labels: string) {}
}

/** `src`: connections the proxy accepted; `dst`: connections it dialed. */
export type ConnectionPeer = 'src' | 'dst';

/** The TCP and TLS families. */
export class ConnectionMetrics implements Renderable {
  private readonly series = new Map<string, ConnSeries>();
  private readonly handshakes = new Map<string, number>();

  /** A connection accepted on `listener` (inbound, outbound, upstream). */
  accepted(listener: string, socket: Socket): void {
    this.track(this.seriesFor('src', listener), socket);
  }

  /** A connection dialed to another proxy (`meshed`, mTLS) or to an app or egress address. */
  dialed(meshed: boolean, socket: Socket): void {
    this.track(this.seriesFor('dst', meshed ? 'mesh' : 'plain'), socket);
  }

  /** A TLS handshake ended: `side` server (inbound mTLS) or client (dialing a proxy). */
  tlsHandshake(side: 'server' | 'client', result: 'ok' | 'failure', reason = ''): void {
    const key = `side="${side}",result="${result}",reason="${escapeLabelValue(reason)}"`;
    this.handshakes.set(key, (this.handshakes.get(key) ?? 0) + 1);
  }

  render(): string {
    let opened =
      '# HELP weft_tcp_open_total TCP connections opened (peer="src": accepted, "dst": dialed).\n# TYPE weft_tcp_open_total counter\n';
    let closed = '# HELP weft_tcp_close_total TCP connections closed.\n# TYPE weft_tcp_close_total counter\n';
    let open =
      '# HELP weft_tcp_open_connections TCP connections open now.\n# TYPE weft_tcp_open_connections gauge\n';
    let read =
      '# HELP weft_tcp_read_bytes_total Bytes read from TCP connections.\n# TYPE weft_tcp_read_bytes_total counter\n';
    let write =
      '# HELP weft_tcp_write_bytes_total Bytes written to TCP connections.\n# TYPE weft_tcp_write_bytes_total counter\n';
    for (const s of this.series.values()) {
      let r = s.readBytes;
      let w = s.writeBytes;
      for (const socket of s.open) {
        r += bytesRead(socket);
        w += bytesWritten(socket);
      }
      opened += `weft_tcp_open_total{${s.labels}} ${s.opened}\n`;
      closed += `weft_tcp_close_total{${s.labels}} ${s.closed}\n`;
      open += `weft_tcp_open_connections{${s.labels}} ${s.open.size}\n`;
      read += `weft_tcp_read_bytes_total{${s.labels}} ${r}\n`;
      write += `weft_tcp_write_bytes_total{${s.labels}} ${w}\n`;
    }
    let tls =
      '# HELP weft_tls_handshakes_total TLS handshakes by side, result and failure reason.\n# TYPE weft_tls_handshakes_total counter\n';
    for (const [key, count] of this.handshakes) tls += `weft_tls_handshakes_total{${key}} ${count}\n`;
    return opened + closed + open + read + write + tls;
  }

  private seriesFor(peer: ConnectionPeer, target: string): ConnSeries {
    const key = `${peer}/${target}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = new ConnSeries(`peer="${peer}",target="${escapeLabelValue(target)}"`);
      this.series.set(key, s);
    }
    return s;
  }

  private track(s: ConnSeries, socket: Socket): void {
    s.opened++;
    s.open.add(socket);
    socket.once('close', () => {
      s.open.delete(socket);
      s.closed++;
      s.readBytes += bytesRead(socket);
      s.writeBytes += bytesWritten(socket);
    });
  }
}

/** Where the workload certificate comes from (the proxy's TlsContexts). */
export interface CertificateHolder {
  material(): CertificateMaterial | undefined;
  onRotate(listener: (m: CertificateMaterial) => void): void;
}

/** The workload certificate's expiry and rotations. */
export class IdentityMetrics implements Renderable {
  private notAfterSeconds: number | undefined;
  private installed = 0;

  constructor(holder: CertificateHolder) {
    const current = holder.material();
    if (current !== undefined) this.update(current);
    holder.onRotate((m) => this.update(m));
  }

  render(): string {
    let out =
      '# HELP weft_identity_cert_expiration_timestamp_seconds When the workload certificate expires (Unix seconds).\n# TYPE weft_identity_cert_expiration_timestamp_seconds gauge\n';
    if (this.notAfterSeconds !== undefined) {
      out += `weft_identity_cert_expiration_timestamp_seconds ${this.notAfterSeconds}\n`;
    }
    out += `# HELP weft_identity_cert_rotations_total Workload certificates installed after the first.\n# TYPE weft_identity_cert_rotations_total counter\nweft_identity_cert_rotations_total ${Math.max(0, this.installed - 1)}\n`;
    return out;
  }

  private update(m: CertificateMaterial): void {
    this.installed++;
    try {
      this.notAfterSeconds = Math.floor(Date.parse(new X509Certificate(m.certChain).validTo) / 1000);
    } catch {
      this.notAfterSeconds = undefined;
    }
  }
}

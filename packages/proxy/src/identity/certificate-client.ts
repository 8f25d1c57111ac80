/** The workload side of Identity.Certify: send a token and a CSR, get a chain back. */

import { isIP } from 'node:net';
import { type ChannelCredentials, credentials, type ServiceError } from '@grpc/grpc-js';
import type { CertifyResponse__Output, IdentityClient } from '@weft/api';
// The proto loader only: the @weft/api index also evaluates every zod schema.
import { loadIdentityProto } from '@weft/api/proto';
import { CONTROL_PLANE_SERVER_NAME } from '@weft/pki/workload';

/** What Certify returned, DER throughout. */
export interface CertifyReply {
  readonly identity: string;
  /** Leaf first, then intermediates. */
  readonly chain: readonly Buffer[];
  readonly trustAnchors: readonly Buffer[];
}

/** The result of {@link CertificateClient.certify}. `reason` is the server's `weft-reason` when given. */
export type CertifyClientResult =
  | { type: 'issued'; reply: CertifyReply }
  | { type: 'failed'; code: number; reason: string; message: string };

/**
 * Sends one Certify request. Used by the CertificateManager (and `weft identity issue`).
 * Never throws: transport and server errors are `failed` results.
 */
export interface CertificateClient {
  certify(request: { token: string; csr: Buffer }): Promise<CertifyClientResult>;
  close(): void;
}

/** Options for {@link grpcCertificateClient}. */
export interface GrpcCertificateClientOptions {
  /** `host:port` of the control plane's gRPC port (7443). */
  readonly address: string;
  /**
   * PEM roots that sign the control plane's serving certificate. A function is read before each
   * call: when its answer changes (a trust-anchor rotation), the channel is rebuilt with it.
   */
  readonly trustAnchorsPem: string | (() => string);
  /** Per-call deadline (default 10s). */
  readonly deadlineMs?: number;
  /**
   * The TLS server name checked against the serving certificate. Defaults to the address's host
   * name, or to `weft-control-plane.weft.svc` when the address is an IP literal.
   */
  readonly serverName?: string;
  /** Longest wait between reconnection attempts after the control plane went away (default 10s). */
  readonly maxReconnectBackoffMs?: number;
}

/** A CertificateClient over gRPC with TLS (the server's certificate checked against the anchors). */
export function grpcCertificateClient(options: GrpcCertificateClientOptions): CertificateClient {
  const Identity = loadIdentityProto().weft.identity.v1alpha1.Identity;
  const anchors =
    typeof options.trustAnchorsPem === 'function'
      ? options.trustAnchorsPem
      : () => options.trustAnchorsPem as string;
  const maxBackoff = options.maxReconnectBackoffMs ?? 10_000;
  const channelOptions: Record<string, string | number> = {
    'grpc.initial_reconnect_backoff_ms': Math.min(1000, maxBackoff),
    'grpc.max_reconnect_backoff_ms': maxBackoff,
  };
  const serverName =
    options.serverName ?? (isIP(hostOf(options.address)) ? CONTROL_PLANE_SERVER_NAME : undefined);
  if (serverName) channelOptions['grpc.ssl_target_name_override'] = serverName;
  let pem = anchors();
  const connect = (): IdentityClient => {
    const creds: ChannelCredentials = credentials.createSsl(Buffer.from(pem));
    return new Identity(options.address, creds, channelOptions);
  };
  let client = connect();
  return {
    certify(request) {
      const now = anchors();
      if (now !== pem) {
        client.close();
        pem = now;
        client = connect();
      }
      return new Promise((resolve) => {
        const deadline = Date.now() + (options.deadlineMs ?? 10_000);
        client.Certify(request, { deadline }, (err: ServiceError | null, res?: CertifyResponse__Output) => {
          if (err || !res) {
            const reason = err?.metadata?.get('weft-reason')[0];
            resolve({
              type: 'failed',
              code: err?.code ?? 2,
              reason: typeof reason === 'string' ? reason : 'transport',
              message: err?.details || err?.message || 'empty response',
            });
            return;
          }
          resolve({
            type: 'issued',
            reply: {
              identity: res.identity,
              chain: [res.leafCertificate, ...res.intermediateCertificates],
              trustAnchors: res.trustAnchors,
            },
          });
        });
      });
    },
    close: () => client.close(),
  };
}

/** The host part of `host:port` or `[v6]:port`. */
function hostOf(address: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (v6) return v6[1] as string;
  const colon = address.lastIndexOf(':');
  return colon === -1 || address.indexOf(':') !== colon ? address : address.slice(0, colon);
}

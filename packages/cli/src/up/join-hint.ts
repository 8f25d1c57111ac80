/** The "join a workload" hint `weft up` prints: commands that work as printed, ports chosen by the system. */

/** Where the running local mesh is. */
export interface JoinHintInput {
  readonly grpcPort: number;
  readonly adminPort: number;
  readonly identityDir: string;
  /** The `.weft/local.json` written for `weft stat` and `weft check`. */
  readonly statePath: string;
}

/**
 * The hint. The proxy takes its namespace and service account from the certificate its token
 * gets it, and binds every listener on port 0, so any number of proxies can join side by side.
 * The token names the service the proxy registers (`--service NAME`): the control plane refuses
 * a registration its token does not name. Placeholders are upper case: NS, SA, NAME, APP_PORT,
 * and `other` for the service called.
 */
export function joinHint(m: JoinHintInput): string {
  return [
    `control plane: gRPC 127.0.0.1:${m.grpcPort}, admin http://127.0.0.1:${m.adminPort}`,
    `addresses written to ${m.statePath} (weft stat and weft check read them)`,
    'join a workload:',
    `  weft token create --identity-dir ${m.identityDir} --namespace NS --service-account SA --service NAME > sa.token`,
    `  weft proxy --control-plane 127.0.0.1:${m.grpcPort} --ca-file ${m.identityDir}/ca.crt --token-file sa.token \\`,
    '    --namespace NS --service NAME --inbound 80=127.0.0.1:APP_PORT --upstream other.NS:80=127.0.0.1:0 \\',
    '    --listen-host 127.0.0.1 --admin-host 127.0.0.1 --inbound-port 0 --outbound-port 0 --admin-port 0',
    'Ctrl-C stops the control plane.',
    '',
  ].join('\n');
}

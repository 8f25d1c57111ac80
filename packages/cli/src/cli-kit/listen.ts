/** The `host:port` flag values (`--listen`, `--admin-listen`): one parser for every command. */

/** Splits `host:port` or `[v6]:port`. */
export function parseListen(value: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = Number(m?.[3]);
  if (!m || !(port >= 0 && port <= 65535)) return undefined;
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : (m[2] ?? '0.0.0.0')), port };
}

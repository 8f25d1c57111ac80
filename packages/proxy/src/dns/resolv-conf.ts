/** Parses resolv.conf(5): the upstream resolvers, the search path and ndots the proxy honours. */
import { isIP } from 'node:net';

/** What the DNS proxy takes from a resolv.conf. */
export interface ResolvConf {
  /** Upstream resolvers as `host` (port 53) in file order; at most 3, like glibc. */
  readonly nameservers: readonly string[];
  /** Search domains, lower case, without the trailing dot. */
  readonly search: readonly string[];
  /** `options ndots:N` (default 1). */
  readonly ndots: number;
}

/** glibc reads at most three nameserver lines (MAXNS). */
const MAX_NAMESERVERS = 3;
/** glibc keeps at most six search domains (MAXDNSRCH). */
const MAX_SEARCH = 6;

/**
 * Parses resolv.conf text. Unknown lines and options are ignored (as the C library does);
 * nameservers that are not IP addresses are skipped. Later `search`/`domain` lines replace
 * earlier ones.
 */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  let search: string[] = [];
  let ndots = 1;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (line === '') continue;
    const [keyword, ...args] = line.split(/\s+/) as [string, ...string[]];
    switch (keyword) {
      case 'nameserver': {
        // Zone index (fe80::1%eth0) is kept off: the proxy binds no link-local upstreams.
        const ns = args[0]?.split('%')[0];
        if (ns !== undefined && isIP(ns) !== 0 && nameservers.length < MAX_NAMESERVERS) nameservers.push(ns);
        break;
      }
      case 'search':
      case 'domain':
        search = args
          .map((d) => d.toLowerCase().replace(/\.$/, ''))
          .filter((d) => d !== '')
          .slice(0, MAX_SEARCH);
        break;
      case 'options':
        for (const opt of args) {
          const m = /^ndots:(\d+)$/.exec(opt);
          if (m !== null) ndots = Math.min(15, Number(m[1]));
        }
        break;
    }
  }
  return { nameservers, search, ndots };
}

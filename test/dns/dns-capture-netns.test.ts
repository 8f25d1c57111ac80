// DNS capture with the rules of `weft init --dns-capture`, applied for real in a network namespace
// the test creates: an app resolving through the nameserver of its resolv.conf (10.53.0.10, behind a
// veth interface) is redirected to the DNS proxy (the built code, running as the proxy UID), which
// answers the mesh name itself and forwards a public-looking name to a test resolver on loopback
// port 53 — reachable only because the proxy UID's own queries escape the redirect. The same over
// IPv6: an app asking fd53::10 is redirected by the ip6tables rules to the proxy on [::1], which
// forwards to a test resolver on [::1]:53.

import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyRules, parseInitOptions, processRunner } from '@weft/proxy-init';
import { silentLogger } from '@weft/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const support = (name: string) => fileURLToPath(new URL(`./support/${name}`, import.meta.url));
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
const skipReason =
  process.getuid?.() !== 0
    ? 'not root'
    : (['ip', 'iptables-restore', 'ip6tables-restore', 'setpriv']
        .filter((c) => !has(c))
        .map((c) => `${c} missing`)[0] ?? '');
if (skipReason !== '') console.warn(`skipping the DNS capture netns test: ${skipReason}`);

const NS = `weft-dns-${process.pid}`;
const PROXY_UID = 7102;
const DNS_PORT = 15053;
const children: ChildProcess[] = [];
let dir = '';
let proxy: ChildProcess | undefined;
let created = false;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Runs a node script in the namespace; resolves with its first stdout line starting with `until`. */
function start(script: string, args: string[], until: string, asProxy = false): Promise<string> {
  const prefix = asProxy ? ['setpriv', `--reuid=${PROXY_UID}`, `--regid=${PROXY_UID}`, '--clear-groups'] : [];
  const child = spawn('ip', ['netns', 'exec', NS, ...prefix, process.execPath, support(script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (c) => {
      err += c;
    });
    child.stdout!.on('data', (c) => {
      out += c;
      const line = out.split('\n').find((l) => l.startsWith(until));
      if (line !== undefined) resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${err}`)));
  });
}

/** Runs the DNS proxy as the proxy UID with resolv.conf `file` from `dir`, replacing one running. */
async function startProxy(file: string): Promise<void> {
  if (proxy !== undefined) {
    const closed = once(proxy, 'close');
    proxy.kill('SIGKILL');
    await closed;
  }
  const ready = start('dns-proxy.mjs', [String(DNS_PORT), join(dir, file)], 'ready', true);
  proxy = children.at(-1);
  expect(await ready).toBe(`ready ${DNS_PORT} uid=${PROXY_UID} ipv6=true`);
}

beforeAll(async () => {
  if (skipReason !== '') return;
  dir = mkdtempSync(join(tmpdir(), 'weft-dns-capture-'));
  ip('netns', 'add', NS);
  created = true;
  ip('-n', NS, 'link', 'set', 'lo', 'up');
  // The pod's nameserver (a kube-dns ClusterIP stand-in) must be routable for the packet to be sent.
  ip('-n', NS, 'link', 'add', 'dns0', 'type', 'veth', 'peer', 'name', 'dns1');
  ip('-n', NS, 'addr', 'add', '10.53.0.1/24', 'dev', 'dns0');
  // nodad: usable at once, without waiting for duplicate address detection.
  ip('-n', NS, '-6', 'addr', 'add', 'fd53::1/64', 'dev', 'dns0', 'nodad');
  ip('-n', NS, 'link', 'set', 'dns0', 'up');
  ip('-n', NS, 'link', 'set', 'dns1', 'up');
  const resolvConf = join(dir, 'resolv.conf');
  writeFileSync(
    resolvConf,
    'nameserver 127.0.0.53\nsearch test.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n',
    { mode: 0o644 },
  );
  writeFileSync(
    join(dir, 'resolv6.conf'),
    'nameserver ::1\nsearch test.svc.cluster.local\noptions ndots:5\n',
    {
      mode: 0o644,
    },
  );
  execFileSync('chmod', ['755', dir]);
  const outcomes = await applyRules(
    parseInitOptions({ proxyUid: PROXY_UID, dnsCapture: true, dnsPort: DNS_PORT }),
    {
      runner: {
        run: (command, args, input) =>
          processRunner.run('ip', ['netns', 'exec', NS, command, ...args], input),
      },
      logger: silentLogger(),
      mode: 'auto',
    },
  );
  expect(outcomes.map((o) => `${o.family}:${o.type}`)).toEqual(['ipv4:applied', 'ipv6:applied']);
  await start('resolver.mjs', ['127.0.0.53'], 'ready');
  // The IPv6 upstream answers example.com differently, to show which resolver the proxy asked.
  await start('resolver.mjs', ['::1', '93.184.216.46'], 'ready');
  await startProxy('resolv.conf');
}, 60_000);

afterAll(async () => {
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const closed = once(c, 'close');
    c.kill('SIGKILL');
    await closed;
  }
  if (created) ip('netns', 'del', NS);
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skipReason !== '')('DNS capture in a network namespace', () => {
  it('redirects the app’s UDP and TCP port 53 to the DNS proxy, whose own forwarded queries escape', async () => {
    const line = await start('app.mjs', ['10.53.0.10'], '{');
    expect(JSON.parse(line)).toEqual({
      meshUdp: ['10.96.7.7'],
      publicUdp: ['93.184.216.34'],
      missingUdp: { error: 'ENOTFOUND' },
      meshTcp: ['10.96.7.7'],
      publicTcp: ['93.184.216.34'],
    });
  });

  it('redirects the app’s queries to an IPv6 nameserver to the proxy on [::1], which forwards over IPv6', async () => {
    await startProxy('resolv6.conf');
    const line = await start('app.mjs', ['fd53::10'], '{');
    expect(JSON.parse(line)).toEqual({
      meshUdp: ['10.96.7.7'],
      publicUdp: ['93.184.216.46'],
      missingUdp: { error: 'ENOTFOUND' },
      meshTcp: ['10.96.7.7'],
      publicTcp: ['93.184.216.46'],
    });
  });

  it('leaves port 53 alone without capture', async () => {
    for (const save of ['iptables-save', 'ip6tables-save']) {
      const rules = execFileSync('ip', ['netns', 'exec', NS, save, '-t', 'nat'], { encoding: 'utf8' });
      expect(rules, save).toContain('-A WEFT_DNS -m owner --uid-owner 7102 -j RETURN');
      expect(rules, save).toContain('-A WEFT_DNS -p udp -m udp --dport 53 -j REDIRECT --to-ports 15053');
    }
    await applyRules(parseInitOptions({ proxyUid: PROXY_UID }), {
      runner: {
        run: (command, args, input) =>
          processRunner.run('ip', ['netns', 'exec', NS, command, ...args], input),
      },
      logger: silentLogger(),
      mode: 'auto',
    });
    for (const nameserver of ['10.53.0.10', 'fd53::10']) {
      const result = JSON.parse(await start('app.mjs', [nameserver, '300'], '{')) as Record<string, unknown>;
      // Nothing answers on the nameserver and TCP goes to the (absent) outbound listener: every query fails.
      for (const key of ['meshUdp', 'publicUdp', 'meshTcp', 'publicTcp']) {
        expect(result[key], `${nameserver} ${key}`).toHaveProperty('error');
      }
    }
  });
});

// The external programs the proxy benchmark needs, with the Debian package of each.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const TOOLS = [
  ['wrk', 'wrk'],
  ['h2load', 'nghttp2-client'],
  ['haproxy', 'haproxy'],
  ['nginx', 'nginx-light (or nginx)'],
  ['iperf3', 'iperf3'],
  ['taskset', 'util-linux'],
  ['openssl', 'openssl'],
];

function has(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Throws a message naming every missing tool and the package that provides it. */
export function checkTools() {
  const missing = TOOLS.filter(([command]) => !has(command)).map(
    ([command, pkg]) => `${command} (apt-get install ${pkg})`,
  );
  try {
    createRequire(import.meta.url).resolve('http-proxy');
  } catch {
    missing.push('http-proxy (npm ci at the repository root; it is a root devDependency)');
  }
  if (missing.length > 0) throw new Error(`missing tools: ${missing.join(', ')}`);
}

function firstLine(command, args, pattern) {
  try {
    const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return pattern.exec(out)?.[0] ?? '?';
  } catch (err) {
    // nginx -v prints to stderr
    return pattern.exec(String(err?.stderr ?? ''))?.[0] ?? '?';
  }
}

/** One line naming the versions of the compared programs. */
export function versions() {
  const haproxy = firstLine('haproxy', ['-v'], /HAProxy version [^\s]+/);
  let nginx = '?';
  try {
    const out = execFileSync('sh', ['-c', 'nginx -v 2>&1'], { encoding: 'utf8' });
    nginx = /nginx\/[^\s]+/.exec(out)?.[0] ?? '?';
  } catch {
    // keep '?'
  }
  const wrk = firstLine('sh', ['-c', 'wrk -v 2>&1; true'], /wrk [^\s]+/);
  const h2load = firstLine('h2load', ['--version'], /nghttp2\/[^\s]+/);
  const iperf = firstLine('iperf3', ['--version'], /iperf [^\s]+/);
  return [haproxy, nginx, `${wrk}`, `h2load ${h2load}`, iperf].join(', ');
}

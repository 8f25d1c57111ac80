/**
 * Enforces the crash guard: scans the proxy's sources and fails when a stream, session, socket
 * or server is created or accepted without passing through guard() (an 'error' event with no
 * listener exits the process). Also checks the checker flags unguarded code, and guard() itself.
 */
import { EventEmitter } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { guard, isGuarded } from './guard.js';

const SRC = fileURLToPath(new URL('..', import.meta.url));

/** Calls that create an emitter that may emit 'error'. */
const CREATES = [
  /\bnetConnect\(/,
  /\btlsConnect\(/,
  /\bh2connect\(/,
  /\bsession\.request\(/,
  /\bcreateServer\(/,
  /\bcreateTlsServer\(/,
];
/** Event handlers whose first parameter is an accepted stream, session or socket. */
const ACCEPTS = /\.on\('(?:stream|session|secureConnection|connection)',\s*\((\w+)/;
/** A net server's connection callback on its own line, just after createServer(. */
const CONNECTION_CALLBACK = /^\s*\((\w+)(?::\s*\w+)?\) => \{$/;
/** Files exempt, with why. */
const EXEMPT: Readonly<Record<string, string>> = {
  // node:http's server guards its own sockets ('clientError'); a listen error rejects listen().
  'admin/admin-server.ts': 'node:http admin server',
};

/** Unguarded creation/acceptance sites in `source`, as "line: text". */
export function unguarded(source: string): string[] {
  const lines = source.split('\n');
  const found: string[] = [];
  const near = (from: number, to: number, needle: string) =>
    lines.slice(Math.max(0, from), Math.min(lines.length, to)).some((l) => l.includes(needle));
  lines.forEach((line, i) => {
    if (line.trim().startsWith('//') || line.trim().startsWith('*')) return;
    if (CREATES.some((re) => re.test(line))) {
      // Wrapped where it is created, or the variable it is assigned to is guarded soon after.
      const wrapped = near(i - 1, i + 1, 'guard(');
      const name = /(?:const|let)\s+(\w+)|(?:this\.)?(\w+)\s*=/.exec(line);
      const variable = name?.[1] ?? name?.[2];
      const later = variable !== undefined && near(i, i + 25, `guard(${variable}`);
      const direct = variable !== undefined && near(i, i + 25, `guard(this.${variable}`);
      if (!wrapped && !later && !direct) found.push(`${i + 1}: ${line.trim()}`);
    }
    const accepted = ACCEPTS.exec(line);
    if (accepted !== null && !near(i, i + 8, `guard(${accepted[1]}`)) found.push(`${i + 1}: ${line.trim()}`);
    const callback = CONNECTION_CALLBACK.exec(line);
    if (callback !== null && near(i - 3, i, 'createServer(') && !near(i, i + 6, `guard(${callback[1]}`))
      found.push(`${i + 1}: ${line.trim()}`);
  });
  return found;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

describe('the crash guard', () => {
  it('covers every stream, session, socket and server the proxy creates or accepts', () => {
    const files = sources(SRC).filter((f) => EXEMPT[relative(SRC, f)] === undefined);
    expect(files.length).toBeGreaterThan(40);
    const problems = files.flatMap((f) =>
      unguarded(readFileSync(f, 'utf8')).map((p) => `${relative(SRC, f)}:${p}`),
    );
    expect(problems).toEqual([]);
  });

  it('the scan flags code that creates or accepts without guard()', () => {
    expect(unguarded("const socket = netConnect(options);\nsocket.on('data', f);")).toHaveLength(1);
    expect(unguarded("const up = session.request(headers);\nup.on('error', () => {});")).toHaveLength(1);
    expect(unguarded("server.on('stream', (stream, headers) => {\n  handle(stream);\n});")).toHaveLength(1);
    expect(
      unguarded('const server = createServer(\n  {},\n  (socket) => {\n    use(socket);\n  },\n);'),
    ).toHaveLength(2);
    expect(unguarded('const socket = guard(netConnect(options));')).toEqual([]);
    expect(unguarded("server.on('session', (s) => {\n  guard(s);\n});")).toEqual([]);
  });

  it('guard() adds one listener however often it is called, and an error no longer throws', () => {
    const e = new EventEmitter();
    expect(() => e.emit('error', new Error('boom'))).toThrow('boom');
    guard(e);
    guard(e);
    expect(isGuarded(e)).toBe(true);
    expect(e.listenerCount('error')).toBe(1);
    expect(() => e.emit('error', new Error('boom'))).not.toThrow();
  });

  it('a throwing error callback cannot escape the emit', () => {
    const seen: string[] = [];
    const e = guard(new EventEmitter(), (err) => {
      seen.push(err.message);
      throw new Error('handler bug');
    });
    expect(() => e.emit('error', new Error('peer reset'))).not.toThrow();
    expect(seen).toEqual(['peer reset']);
  });
});

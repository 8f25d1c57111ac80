import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../index.js';
import { parsePortMap } from './gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-gateway-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function weft(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const saved = process.exitCode;
  const code = await main(['node', 'weft', ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  process.exitCode = saved;
  return { code, stdout, stderr };
}

describe('weft gateway flags', () => {
  it('reads --port-map pairs, repeated or comma-separated', () => {
    const first = parsePortMap('80=0');
    expect([...parsePortMap('443=8443,8080=0', first)]).toEqual([
      [80, 0],
      [443, 8443],
      [8080, 0],
    ]);
    expect(() => parsePortMap('80')).toThrow(/LISTENERPORT=BINDPORT/);
    expect(() => parsePortMap('0=80')).toThrow(/not a port/);
    expect(() => parsePortMap('80=70000')).toThrow(/not a port/);
  });

  it('needs a config source', async () => {
    const r = await weft('gateway', '--admin-port', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('give --config FILE, or --control-plane');
  });

  it('refuses a config file that does not load, naming the field, and a bad trusted-proxy CIDR', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"listeners":[{"name":"a","port":80,"protocl":1}]}');
    const r = await weft('gateway', '--config', file, '--admin-port', '0', '--port-map', '80=0');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('listeners[0].protocl: unknown field');
    writeFileSync(file, '{"listeners":[]}');
    const cidr = await weft(
      'gateway',
      '--config',
      file,
      '--admin-port',
      '0',
      '--trusted-proxies',
      '10.0.0.0/40',
    );
    expect(cidr.code).toBe(1);
    expect(cidr.stderr).toContain('trusted proxy "10.0.0.0/40" is not an address or CIDR');
  });
});

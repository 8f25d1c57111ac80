import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/weft.js', import.meta.url));
const weft = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000 });

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}
const skipReason =
  process.getuid?.() !== 0
    ? 'not root'
    : !has('ip') || !has('iptables-nft-restore')
      ? 'iptables or ip missing'
      : '';
if (skipReason !== '') console.warn(`skipping weft init in a network namespace: ${skipReason}`);

describe('weft init', () => {
  it('prints the rules with --dry-run', () => {
    const r = weft(
      'init',
      '--dry-run',
      '--no-ipv6',
      '--skip-outbound-ports',
      '5432',
      '--skip-outbound-cidrs',
      '10.0.0.0/8',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('# ipv4: iptables-restore --noflush\n*nat\n');
    expect(r.stdout).toContain('-A WEFT_OUTBOUND -p tcp -m tcp --dport 5432 -j RETURN');
    expect(r.stdout).toContain('-A WEFT_OUTBOUND -d 10.0.0.0/8 -j RETURN');
    expect(r.stdout).not.toContain('ip6tables');
  });

  it.each([
    [['--inbound-port', 'x'], '--inbound-port: "x"'],
    [['--skip-outbound-cidrs', '300.0.0.0/8'], '--skip-outbound-cidrs: "300.0.0.0/8"'],
    [['--iptables-mode', 'ebpf'], "argument 'ebpf' is invalid"],
  ])('exits 2 on bad flags %j', (args, message) => {
    const r = weft('init', '--dry-run', ...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
  });

  describe.skipIf(skipReason !== '')('inside a network namespace', () => {
    const ns = `weft-cli-init-${process.pid}`;
    afterAll(() => {
      spawnSync('ip', ['netns', 'del', ns]);
    });

    it('applies the rules, twice, to the same result', () => {
      execFileSync('ip', ['netns', 'add', ns]);
      const run = () =>
        spawnSync(
          'ip',
          ['netns', 'exec', ns, process.execPath, bin, 'init', '--skip-inbound-ports', '7191,22'],
          {
            encoding: 'utf8',
            timeout: 20_000,
          },
        );
      const save = () =>
        execFileSync('ip', ['netns', 'exec', ns, 'iptables-save', '-t', 'nat'], { encoding: 'utf8' })
          .split('\n')
          .filter((l) => !l.startsWith('#'))
          .join('\n');
      const first = run();
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toContain('ipv4: rules applied');
      const after1 = save();
      expect(after1).toContain('-A WEFT_INBOUND -p tcp -m tcp --dport 22 -j RETURN');
      expect(run().status).toBe(0);
      expect(save()).toBe(after1);
    });
  });
});

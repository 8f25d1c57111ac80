// The shared option helpers: one duration parser, one output option, WEFT_* variables, old flag names.
import { spawnSync } from 'node:child_process';
import { Command, Option } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { createProgram } from '../program.js';
import { colourEnabled } from './colour.js';
import { parseDurationArg } from './duration.js';
import { deprecatedAlias, envForEveryFlag } from './env.js';
import { parseAdminAddress } from './http.js';
import { parseOutputFormat, renderAs } from './output.js';

describe('parseDurationArg', () => {
  it('takes 250ms, 10s, 1m, 24h and compounds', () => {
    expect(parseDurationArg('250ms')).toBe(250);
    expect(parseDurationArg('10s')).toBe(10_000);
    expect(parseDurationArg('1m')).toBe(60_000);
    expect(parseDurationArg('24h')).toBe(86_400_000);
    expect(parseDurationArg('1h30m')).toBe(5_400_000);
  });

  it('rejects a bare number with the unit to add, and 0 unless allowed', () => {
    expect(() => parseDurationArg('1000')).toThrow('"1000" has no unit: write 1000ms or 1000s');
    expect(() => parseDurationArg('-1s')).toThrow('is not a duration');
    expect(() => parseDurationArg('0s')).toThrow('must be longer than 0');
    expect(parseDurationArg('0', { allowZero: true })).toBe(0);
  });
});

describe('the output option', () => {
  it('has one human format, table, and takes the old names for it', () => {
    expect(parseOutputFormat('view')).toBe('table');
    expect(parseOutputFormat('text')).toBe('table');
    expect(() => parseOutputFormat('yaml', ['table', 'json'])).toThrow('must be table, json');
  });

  it('renders JSON and YAML with missing values as null', () => {
    const value = { a: 1, b: undefined };
    expect(renderAs('json', value, () => 'T')).toBe('{\n  "a": 1,\n  "b": null\n}\n');
    expect(renderAs('yaml', value, () => 'T')).toBe('a: 1\nb: null\n');
    expect(renderAs('table', value, () => 'T')).toBe('T');
  });
});

describe('WEFT_* variables for every flag', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  function command(): Command {
    const c = new Command('x')
      .exitOverride()
      .option('--admin-listen <addr>', 'where', '0.0.0.0:7990')
      .option('--in-cluster', 'a boolean')
      .option('--no-native-sidecar', 'a negated boolean')
      .addOption(new Option('--mesh-namespace <ns>').env('WEFT_POD_NAMESPACE'));
    return envForEveryFlag(c.action(() => {}));
  }

  it('reads WEFT_<FLAG>; the command line wins; explicit variables stay', () => {
    process.env.WEFT_ADMIN_LISTEN = '127.0.0.1:1';
    process.env.WEFT_POD_NAMESPACE = 'mesh';
    expect(command().parse([], { from: 'user' }).opts()).toMatchObject({
      adminListen: '127.0.0.1:1',
      meshNamespace: 'mesh',
    });
    expect(command().parse(['--admin-listen', '127.0.0.1:2'], { from: 'user' }).opts().adminListen).toBe(
      '127.0.0.1:2',
    );
  });

  it('reads booleans as booleans: "false" and "0" leave them off', () => {
    process.env.WEFT_IN_CLUSTER = 'false';
    process.env.WEFT_NO_NATIVE_SIDECAR = '0';
    expect(command().parse([], { from: 'user' }).opts()).toMatchObject({ nativeSidecar: true });
    expect(command().parse([], { from: 'user' }).opts().inCluster).toBeFalsy();
    process.env.WEFT_IN_CLUSTER = 'true';
    process.env.WEFT_NO_NATIVE_SIDECAR = '1';
    expect(command().parse([], { from: 'user' }).opts()).toMatchObject({
      inCluster: true,
      nativeSidecar: false,
    });
  });

  it('covers every flag of the long-running commands', () => {
    const program = createProgram({ stdout: () => {}, stderr: () => {} });
    for (const name of ['control-plane', 'proxy', 'injector', 'up']) {
      const c = program.commands.find((x) => x.name() === name) as Command;
      const missing = c.options.filter((o) => !o.hidden && o.envVar === undefined).map((o) => o.long);
      expect({ name, missing }).toEqual({ name, missing: [] });
    }
  });
});

describe('deprecated flag names', () => {
  it('set the new option and warn once', () => {
    const warnings: string[] = [];
    const c = new Command('x').exitOverride().requiredOption('--identity-dir <dir>', 'the folder');
    deprecatedAlias(c, '--dir <dir>', '--identity-dir', (t) => warnings.push(t));
    c.action(() => {});
    expect(c.parse(['--dir', '/d'], { from: 'user' }).opts().identityDir).toBe('/d');
    expect(warnings).toEqual(['weft: --dir is deprecated; use --identity-dir\n']);
    expect(c.helpInformation()).not.toContain('--dir');
  });
});

describe('admin addresses and colour', () => {
  it('takes a port, host:port or a URL', () => {
    expect(parseAdminAddress('7191', 7191)).toBe('http://127.0.0.1:7191');
    expect(parseAdminAddress('127.0.0.2:9', 7191)).toBe('http://127.0.0.2:9');
    expect(parseAdminAddress('http://localhost', 7990)).toBe('http://localhost:7990');
    expect(() => parseAdminAddress('http://[x', 7990)).toThrow('is not an address');
  });

  it('colours a TTY only, and never with NO_COLOR', () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
});

describe('weft completion', () => {
  const program = createProgram({ stdout: () => {}, stderr: () => {} });
  const script = (shell: string): string => {
    let out = '';
    const p = createProgram({ stdout: (t) => (out += t), stderr: () => {} });
    p.exitOverride().parse(['completion', shell], { from: 'user' });
    return out;
  };

  it('bash: completes subcommands and the flags of the command typed so far', () => {
    const complete = (line: string): string[] => {
      const words = line.split(' ');
      const r = spawnSync(
        'bash',
        [
          '-c',
          `${script('bash')}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _weft; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: 'utf8' },
      );
      expect(r.stderr).toBe('');
      return r.stdout.trim().split(' ');
    };
    expect(complete('weft prox')).toEqual(['proxy', 'proxy-config']);
    expect(complete('weft identity create-ca --id')).toEqual(['--identity-dir']);
    expect(complete('weft up --config-dir mydir --de')).toEqual(['--demo']);
    expect(program.commands.length).toBeGreaterThan(10);
  });

  it('zsh and fish scripts name every command', () => {
    expect(script('zsh')).toContain('bashcompinit');
    const fish = script('fish');
    for (const c of program.commands) expect(fish).toContain(`-a ${c.name()} `);
  });
});

// install/Dockerfile cannot be built here (no Docker engine), so check what can be checked
// without building it: the base image, the user, iptables, and that every path and script it
// names exists in the repository.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './fixtures.js';

const dockerfile = readFileSync(join(REPO, 'install', 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));

describe('install/Dockerfile', () => {
  it('builds on Node 24 LTS slim in stages and runs as UID 7102', () => {
    expect(dockerfile).toContain('ARG NODE_VERSION=24');
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toMatch(/^FROM node:\$\{NODE_VERSION\}-bookworm-slim/);
    expect(instructions.filter((l) => l.startsWith('USER ')).at(-1)).toBe('USER 7102:7102');
    expect(dockerfile).toMatch(/useradd [^\n]*--uid 7102/);
  });

  it('installs iptables in the runtime image only', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/apt-get install[^\n]*iptables/);
    expect(dockerfile.slice(0, dockerfile.lastIndexOf('\nFROM '))).not.toContain('iptables');
  });

  it('names only files and scripts that exist', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const l of instructions.filter((x) => x.startsWith('COPY ') && !x.includes('--from='))) {
      const sources = l.split(/\s+/).slice(1, -1);
      for (const s of sources) expect(existsSync(join(REPO, s)), l).toBe(true);
    }
    const entry = /ENTRYPOINT \["node", "\/app\/(.+?)"\]/.exec(dockerfile)?.[1];
    expect(entry).toBe('packages/cli/bin/weft.js');
    expect(existsSync(join(REPO, entry as string))).toBe(true);
    // Scripts it runs: `prepare` through npm ci, and build:native when the proxy has it.
    expect(pkg.scripts.prepare).toBeDefined();
    expect(dockerfile).toContain('npm run --if-present build:native');
    // It says plainly that it has not been built here.
    expect(dockerfile).toContain('has never been built there');
  });
});

// Golden outputs of the NetworkPolicy generator for each fixture world, in the YAML that
// `weft netpol generate` prints. UPDATE_GOLDEN=1 rewrites them (review the diff).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { compileNetworkPolicies } from '@weft/control-plane';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { FIXTURES, inputsOf, loadWorld } from './fixture.js';

describe('netpol golden outputs', () => {
  for (const name of FIXTURES) {
    it(name, () => {
      const out = compileNetworkPolicies(inputsOf(loadWorld(name)));
      const text = `${out.policies.map((p) => stringify(p)).join('---\n')}# warnings:\n${out.warnings.map((w) => `# ${w}\n`).join('')}`;
      const file = new URL(`../fixtures/netpol/${name}.golden.yaml`, import.meta.url);
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, text);
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('is deterministic: shuffled inputs give the same output', () => {
    const world = loadWorld('shop-strict');
    const a = compileNetworkPolicies(inputsOf(world));
    const reversed = {
      ...inputsOf(world),
      pods: [...world.pods].reverse(),
      services: [...world.services].reverse(),
      policies: [...world.policies].reverse(),
      namespaces: [...world.namespaces].reverse(),
    };
    expect(compileNetworkPolicies(reversed)).toEqual(a);
  });
});

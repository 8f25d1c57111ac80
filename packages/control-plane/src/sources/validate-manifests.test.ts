/** `validateManifests` names the line of the bad field, warns of foreign kinds, and reads folders and files. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { service } from '../test-support/manifests.js';
import { validateManifests } from './validate-manifests.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-validate-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const SPLIT = `apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata:
  name: api
  namespace: shop
spec:
  service: api
  backends:
  - service: api-v1
    weight: 90
  - service: api-v2
    weight: -10
`;

describe('validateManifests', () => {
  it('accepts a good folder', async () => {
    writeFileSync(join(dir, 'svc.yaml'), service('api', 'shop') + service('api-v1', 'shop'));
    const report = await validateManifests({ dirs: [dir] });
    expect(report).toEqual({ findings: [], resources: 2, rejected: 0 });
  });

  it('names the line of the bad field, not the start of the document', async () => {
    writeFileSync(
      join(dir, 'svc.yaml'),
      service('api', 'shop') + service('api-v1', 'shop') + service('api-v2', 'shop'),
    );
    // The split is the second document of its file: its bad weight is on line 14.
    writeFileSync(join(dir, 'split.yaml'), `# comment\n---\n${SPLIT}`);
    const report = await validateManifests({ dirs: [dir] });
    expect(report.findings.map((f) => f.text)).toEqual([
      `${join(dir, 'split.yaml')}:14: TrafficSplit/api: spec.backends[1].weight: weight must be a non-negative number, got -10`,
    ]);
    expect(report.rejected).toBe(1);
  });

  it('points an unknown field and a missing Service at their own lines', async () => {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(
      join(dir, 'sub', 'policy.yaml'),
      'apiVersion: weft.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: p}\nspec:\n  targetRef: {kind: Service, name: api}\n  loadBalancer: {type: RoundRobin}\n  retries: {attempts: 3}\n',
    );
    writeFileSync(join(dir, 'split.yaml'), SPLIT.replace('weight: -10', 'weight: 10'));
    const report = await validateManifests({ dirs: [dir] });
    expect(report.findings.map((f) => f.text.replace(`${dir}/`, ''))).toEqual([
      'split.yaml:7: TrafficSplit/api: spec.service: Service shop/api does not exist (ServiceNotFound)',
      expect.stringMatching(/^sub\/policy\.yaml:4: TrafficPolicy\/p: spec: Unrecognized key: "retries"/),
    ]);
  });

  it('warns of a kind weft does not read, fails malformed YAML at its line, and reads single files', async () => {
    const gizmo = join(dir, 'gizmo.yaml');
    writeFileSync(gizmo, 'apiVersion: example.com/v1\nkind: Gizmo\nmetadata: {name: g}\n');
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, `${service('a', 'shop')}apiVersion: v1\nkind: Service\nmetadata: {name: [\n`);
    const report = await validateManifests({ files: [gizmo, broken] });
    expect(report.findings).toEqual([
      {
        file: broken,
        line: 13,
        severity: 'error',
        text: `${broken}:13: Flow sequence in block collection must be sufficiently indented and end with a ]; the file's previous resources keep serving`,
      },
      {
        file: gizmo,
        line: 2,
        severity: 'warning',
        text: `${gizmo}:2: warning: Gizmo/g: example.com/v1 Gizmo is not a kind weft reads; ignored`,
      },
    ]);
    expect(report.rejected).toBe(1);
  });

  it('reports a folder that does not exist', async () => {
    const report = await validateManifests({ dirs: [join(dir, 'nope')] });
    expect(report.rejected).toBe(1);
    expect(report.findings[0]?.text).toMatch(/nope:0: .*ENOENT|no such file/);
  });
});

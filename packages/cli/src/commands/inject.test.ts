import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseInjectorConfig } from '@weft/injector';
import { Pod } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { injectYaml } from './inject.js';

const config = parseInjectorConfig({ injector: { image: 'weft:test', version: 'test' } });
const fixture = (name: string) =>
  readFileSync(new URL(`../../../../test/fixtures/injector/${name}`, import.meta.url), 'utf8');

const multi = [
  fixture('emojivoto-web.yaml'),
  fixture('hello-cronjob.yaml'),
  `# a Service passes through unchanged, comments included
apiVersion: v1
kind: Service
metadata:
  name: web # the front door
spec:
  ports: [{ port: 80 }]
`,
  `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: { name: off, annotations: { weft.dev/inject: disabled } }
    spec: { containers: [{ name: a, image: a:1 }] }
  - apiVersion: apps/v1
    kind: DaemonSet
    metadata: { name: agent }
    spec:
      selector: { matchLabels: { app: agent } }
      template:
        metadata: { labels: { app: agent } }
        spec: { containers: [{ name: agent, image: agent:1 }] }
  - apiVersion: apps/v1
    kind: ReplicaSet
    metadata: { name: rs, namespace: kube-system }
    spec:
      selector: { matchLabels: { app: rs } }
      template: { metadata: { labels: { app: rs } }, spec: { containers: [{ name: rs, image: rs:1 }] } }
`,
].join('---\n');

describe('weft inject', () => {
  it('injects every workload kind, passes other kinds through, and explains each decision', async () => {
    const { output, notes } = await injectYaml(multi, config, 'default');
    const docs = parseAllDocuments(output).map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual(['Deployment', 'CronJob', 'Service', 'List']);
    expect(docs[0].spec.template.spec.initContainers.map((c: any) => c.name)).toEqual([
      'weft-init',
      'weft-proxy',
    ]);
    expect(docs[1].spec.jobTemplate.spec.template.spec.initContainers[1].restartPolicy).toBe('Always');
    expect(output).toContain('name: web # the front door');
    const [off, agent, rs] = docs[3].items;
    expect(off.spec.initContainers).toBeUndefined();
    expect(agent.spec.template.metadata.annotations['weft.dev/injected-reason']).toBe('requested');
    expect(rs.spec.template.spec.initContainers).toBeUndefined();
    expect(notes).toEqual([
      'Deployment/web: injected\n',
      'CronJob/hello: injected\n',
      'Pod/off: not injected (pod-disabled: the pod is annotated weft.dev/inject: disabled)\n',
      'DaemonSet/agent: injected\n',
      'ReplicaSet/rs: not injected (system-namespace: pods in namespace kube-system are never injected)\n',
    ]);
    // Every injected pod template is a valid Pod.
    const template = docs[0].spec.template;
    new Pod({ apiVersion: 'v1', kind: 'Pod', metadata: template.metadata, spec: template.spec }).validate();
  });

  it('is idempotent: injecting its own output changes nothing', async () => {
    const once = (await injectYaml(multi, config, 'default')).output;
    expect((await injectYaml(once, config, 'default')).output).toBe(once);
  });

  it('reads JSON too', async () => {
    const { output } = await injectYaml(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'j' },
        spec: { containers: [{ name: 'a', image: 'a' }] },
      }),
      config,
      'default',
    );
    expect(parseAllDocuments(output)[0]!.toJS().spec.initContainers).toHaveLength(2);
  });

  it('names the bad document of invalid YAML', async () => {
    await expect(injectYaml('kind: Pod\n---\nkind: [unclosed\n', config, 'default')).rejects.toThrow(
      /^document 2: /,
    );
  });

  it('works as the built binary over standard input (kubectl apply -f - style)', () => {
    const bin = fileURLToPath(new URL('../../bin/weft.js', import.meta.url));
    const r = spawnSync(
      process.execPath,
      [bin, 'inject', '-f', '-', '--no-native-sidecar', '--image', 'weft:bin'],
      {
        input: fixture('pi-job.yaml'),
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('Job/pi: injected\n');
    const job = parseAllDocuments(r.stdout)[0]!.toJS();
    expect(job.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['weft-proxy', 'pi']);
    expect(job.spec.template.spec.containers[0].image).toBe('weft:bin');
    const dir = mkdtempSync(join(tmpdir(), 'weft-inject-'));
    writeFileSync(join(dir, 'mesh.yaml'), 'mtls: strict\n');
    writeFileSync(join(dir, 'bad.yaml'), 'mtls: sometimes\n');
    const strict = spawnSync(
      process.execPath,
      [bin, 'inject', '-f', '-', '--mesh-config', join(dir, 'mesh.yaml')],
      {
        input: fixture('pi-job.yaml'),
        encoding: 'utf8',
      },
    );
    expect(strict.status).toBe(0);
    const proxy = parseAllDocuments(strict.stdout)[0]!.toJS().spec.template.spec.initContainers[1];
    expect(proxy.env).toContainEqual({ name: 'WEFT_MTLS_MODE', value: 'strict' });
    const badMesh = spawnSync(
      process.execPath,
      [bin, 'inject', '-f', '-', '--mesh-config', join(dir, 'bad.yaml')],
      {
        input: '',
        encoding: 'utf8',
      },
    );
    rmSync(dir, { recursive: true });
    expect(badMesh.status).toBe(2);
    expect(badMesh.stderr).toContain('mtls');
    const bad = spawnSync(process.execPath, [bin, 'inject', '-f', '-', '--proxy-cpu', 'lots'], {
      input: '',
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('proxyCpu');
  });
});

// The install manifests and docs agree with the code they describe: the injector's annotations,
// ports, proxy UID and image; the options of `weft install`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProgram, VERSION } from '@weft/cli';
import {
  ANNOTATION_INJECT,
  ANNOTATION_INJECTED_REASON,
  ANNOTATION_INJECTED_VERSION,
  CONFIG_ANNOTATIONS,
  PORTS,
  PROXY_UID,
  parseInjectorConfig,
} from '@weft/injector';
import { describe, expect, it } from 'vitest';
import { readYamlObjects } from '../../packages/cli/src/install/kustomize.js';
import type { KubeObject } from '../../packages/cli/src/install/objects.js';
import { INSTALL_DIR, REPO } from './fixtures.js';

const doc = (name: string) => readFileSync(join(REPO, 'docs', name), 'utf8');
const deployment = (file: string): Record<string, any> =>
  readYamlObjects(join(INSTALL_DIR, 'base', file)).find((o: KubeObject) => o.kind === 'Deployment') as Record<
    string,
    any
  >;

describe('docs/annotations.md and the injector', () => {
  const text = doc('annotations.md');
  const table = text.slice(0, text.indexOf('\n## '));
  const documented = new Set([...table.matchAll(/^\| `(weft\.dev\/[a-z-]+)`/gm)].map((m) => m[1]));

  it('documents every annotation the injector reads, and no other', () => {
    expect([...documented].sort()).toEqual([ANNOTATION_INJECT, ...Object.values(CONFIG_ANNOTATIONS)].sort());
  });

  it('documents the annotations the injector writes', () => {
    const written = text.slice(text.indexOf('## Set by the injector'));
    for (const a of [ANNOTATION_INJECTED_VERSION, ANNOTATION_INJECTED_REASON])
      expect(written).toContain(`\`${a}\``);
  });
});

describe('ports and identity', () => {
  it('the manifests use the injector’s port constants and the proxy UID', () => {
    const cp = deployment('control-plane.yaml').spec.template.spec;
    const injector = deployment('injector.yaml').spec.template.spec;
    expect(cp.containers[0].ports.find((p: any) => p.name === 'grpc').containerPort).toBe(PORTS.controlPlane);
    expect(injector.containers[0].ports.find((p: any) => p.name === 'webhook').containerPort).toBe(
      PORTS.webhook,
    );
    expect(injector.containers[0].args).toContain(`0.0.0.0:${PORTS.webhook}`);
    for (const pod of [cp, injector]) expect(pod.securityContext.runAsUser).toBe(PROXY_UID);
  });

  it('the docs name the same ports', () => {
    const text = doc('troubleshooting.md');
    for (const p of [PORTS.outbound, PORTS.inbound, PORTS.admin, PORTS.controlPlane, PORTS.webhook, 7990]) {
      expect(text).toContain(String(p));
    }
  });

  it('injected proxies use the image the control plane runs, and find the control plane Service', () => {
    const config = parseInjectorConfig();
    const image = deployment('control-plane.yaml').spec.template.spec.containers[0].image;
    expect(config.injector.image).toBe(image);
    expect(image).toBe(`ghcr.io/weft-mesh/weft:${VERSION}`);
    const service = readYamlObjects(join(INSTALL_DIR, 'base', 'control-plane.yaml')).find(
      (o) => o.kind === 'Service',
    ) as Record<string, any>;
    expect(config.injector.controlPlaneAddress).toBe(
      `${service.metadata.name}.${service.metadata.namespace}.svc:${service.spec.ports[0].port}`,
    );
    expect(config.injector.meshNamespace).toBe('weft-system');
  });
});

describe('docs/getting-started.md and weft install', () => {
  it('lists the options weft install has', () => {
    const program = createProgram({ stdout: () => {}, stderr: () => {} });
    const install = program.commands.find((c) => c.name() === 'install');
    const options = (install?.options ?? []).map((o) => o.long).filter((o) => o !== '--manifests');
    const text = doc('getting-started.md');
    const table = text.slice(text.indexOf('| flag'), text.indexOf('\n\n', text.indexOf('| flag')));
    const documented = [...table.matchAll(/^\| `(--[a-z-]+)/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(options.sort());
  });
});

/** Finds weft's Kubernetes manifests (install/ and crds/) at run time, so they ship as one copy. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The install/ folder of the weft checkout or image this CLI runs from: the nearest ancestor of
 * this module that holds install/kustomization.yaml (the repository root in development; /app
 * in the container image, which copies install/ and crds/ beside packages/).
 */
export function findManifestsDir(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, 'install');
    if (existsSync(join(candidate, 'kustomization.yaml'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

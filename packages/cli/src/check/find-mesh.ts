/**
 * Which mesh `weft check` and `weft stat` talk to when no flag says: the local mesh a running
 * `weft up` recorded in `.weft/local.json`, else the cluster of a kubeconfig, else neither —
 * with what was looked for and how to start each.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readLocalState } from '../up/local-state.js';

/** Where the mesh is. */
export type MeshTarget =
  | {
      readonly type: 'local';
      readonly controlPlaneAdmin: string;
      readonly identityDir: string;
      /** The state file it came from. */
      readonly from: string;
    }
  | { readonly type: 'kubernetes'; readonly kubeconfig: string }
  | { readonly type: 'none'; readonly message: string };

/** The kubeconfig `@kubernetes/client-node`'s loadFromDefault would use, or why there is none. */
export function defaultKubeconfig(
  env: NodeJS.ProcessEnv,
  home: string,
): { type: 'found'; where: string } | { type: 'none'; why: string } {
  if (env.KUBECONFIG !== undefined && env.KUBECONFIG !== '') return { type: 'found', where: env.KUBECONFIG };
  const file = join(home, '.kube', 'config');
  if (existsSync(file)) return { type: 'found', where: file };
  if (env.KUBERNETES_SERVICE_HOST !== undefined)
    return { type: 'found', where: 'in-cluster service account' };
  return { type: 'none', why: `KUBECONFIG is not set and ${file} does not exist` };
}

/** Looks for a local mesh under `stateDir`, then a kubeconfig. */
export async function findMesh(
  stateDir: string,
  env: NodeJS.ProcessEnv = process.env,
  home = homedir(),
): Promise<MeshTarget> {
  const local = await readLocalState(stateDir);
  if (local.type === 'running') {
    return {
      type: 'local',
      controlPlaneAdmin: local.state.controlPlane.admin,
      identityDir: local.state.identityDir,
      from: local.path,
    };
  }
  const kube = defaultKubeconfig(env, home);
  if (kube.type === 'found') return { type: 'kubernetes', kubeconfig: kube.where };
  return {
    type: 'none',
    message: [
      'no mesh found. Looked for:',
      `  a local mesh: ${local.reason}.`,
      '    Start one with "weft up --config-dir DIR" (or "npm start" for the demo) in this folder,',
      '    or give --state-dir DIR (where weft up ran) or --control-plane-admin URL.',
      `  a Kubernetes cluster: ${kube.why}.`,
      '    Give --kubeconfig FILE, or install weft into a cluster: weft install | kubectl apply -f -',
    ].join('\n'),
  };
}

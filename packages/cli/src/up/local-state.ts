/**
 * `.weft/local.json`: where a running `weft up` records its addresses (ports are chosen at
 * random), so that `weft stat` and `weft check` find the local mesh again.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The file name under the state folder. */
export const LOCAL_STATE_FILE = 'local.json';

/** What a running `weft up` publishes. Addresses are loopback. */
export interface LocalMeshState {
  /** The `weft up` process; the file is stale once it is gone. */
  readonly pid: number;
  readonly startedAt: string;
  readonly configDir: string;
  readonly identityDir: string;
  readonly controlPlane: { readonly grpc: string; readonly admin: string };
  readonly proxies: ReadonlyArray<{ readonly name: string; readonly admin: string }>;
}

/**
 * Writes the state file (mode 0600: it names the identity folder) whole: a temporary file
 * renamed over it, so a reader (`weft stat`, `weft check`) never sees half of it.
 */
export async function writeLocalState(stateDir: string, state: LocalMeshState): Promise<string> {
  const path = join(stateDir, LOCAL_STATE_FILE);
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(partial, path);
  return path;
}

/** Removes the state file if it is still ours (another `weft up` may have replaced it). */
export async function removeLocalState(stateDir: string, pid = process.pid): Promise<void> {
  const found = await readLocalState(stateDir);
  if (found.type === 'running' && found.state.pid === pid)
    await rm(join(stateDir, LOCAL_STATE_FILE), { force: true });
}

/** The outcome of looking for a local mesh. */
export type LocalStateLookup =
  | { readonly type: 'running'; readonly state: LocalMeshState; readonly path: string }
  | { readonly type: 'absent'; readonly path: string; readonly reason: string };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads the state file; a missing, malformed or stale file (its `weft up` is gone) is absent. */
export async function readLocalState(stateDir: string): Promise<LocalStateLookup> {
  const path = join(stateDir, LOCAL_STATE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { type: 'absent', path, reason: `${path} does not exist` };
  }
  let state: LocalMeshState;
  try {
    state = JSON.parse(text) as LocalMeshState;
  } catch {
    return { type: 'absent', path, reason: `${path} is not JSON` };
  }
  if (
    typeof state?.pid !== 'number' ||
    typeof state.controlPlane?.admin !== 'string' ||
    typeof state.controlPlane.grpc !== 'string'
  ) {
    return { type: 'absent', path, reason: `${path} lacks the control plane's addresses` };
  }
  if (!alive(state.pid)) {
    return {
      type: 'absent',
      path,
      reason: `${path} is stale: weft up (pid ${state.pid}) is no longer running`,
    };
  }
  return { type: 'running', state, path };
}

/** Runs the built `weft` binary asynchronously (a fake API server in this process must keep answering). */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const WEFT_BIN = fileURLToPath(new URL('../../packages/cli/bin/weft.js', import.meta.url));

export interface WeftRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `weft <args>`; resolves with the exit code and output (never rejects on a non-zero exit). */
export function weft(...args: string[]): Promise<WeftRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [WEFT_BIN, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : undefined;
      if (code === undefined) reject(err);
      else resolve({ code, stdout, stderr });
    });
  });
}

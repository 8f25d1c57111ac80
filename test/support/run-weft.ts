/**
 * Runs the weft CLI in this process with its output captured: the exit code is main's, or the
 * process.exitCode a command set while main returned 0 (restored afterwards).
 */
import { main } from '@weft/cli';

export async function runWeft(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const saved = process.exitCode;
  const code = await main(['node', 'weft', ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  const exit = process.exitCode;
  process.exitCode = saved;
  return { code: code !== 0 ? code : typeof exit === 'number' ? exit : 0, stdout, stderr };
}

/** Running a command with optional standard input: the one place proxy-init touches processes. */
import { spawn } from 'node:child_process';

/** The outcome of a command; `code` is null when it could not start (e.g. not installed). */
export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs commands; injected so the apply logic is testable without iptables. */
export interface CommandRunner {
  run(command: string, args: readonly string[], input?: string): Promise<CommandResult>;
}

/** Runs real processes (no shell). */
export const processRunner: CommandRunner = {
  run(command, args, input) {
    return new Promise((resolve) => {
      const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.on('error', (e) => resolve({ code: null, stdout: '', stderr: e.message }));
      child.on('close', (code) =>
        resolve({
          code: code ?? 1,
          stdout: Buffer.concat(out).toString(),
          stderr: Buffer.concat(err).toString(),
        }),
      );
      child.stdin.on('error', () => {
        // The process exited before reading its input; its exit code tells the story.
      });
      child.stdin.end(input ?? '');
    });
  },
};

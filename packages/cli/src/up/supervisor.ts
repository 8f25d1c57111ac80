/** Starts child processes for local mode and stops every one of them, by PID, on shutdown. */

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '@weft/runtime';

export interface ChildSpec {
  /** A short name for logs, e.g. "proxy/web". */
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Called with each line the child prints on standard output. */
  onLine?: (line: string) => void;
}

/**
 * Receives what a child reports on standard error that a person must see: warnings and errors
 * from its JSON log (their message), and any line that is not JSON (a crash, a raw library line).
 */
export type ChildProblemSink = (child: string, text: string, level: 'warn' | 'error') => void;

const PINO_WARN = 40;
const PINO_ERROR = 50;

/** Pure: what to do with one line a child printed on standard error. */
export function classifyStderrLine(
  line: string,
): { type: 'problem'; text: string; level: 'warn' | 'error' } | { type: 'debug' } {
  if (line.trim() === '') return { type: 'debug' };
  if (!line.startsWith('{')) return { type: 'problem', text: line, level: 'error' };
  try {
    const parsed = JSON.parse(line) as { level?: unknown; msg?: unknown };
    if (typeof parsed.level !== 'number' || parsed.level < PINO_WARN) return { type: 'debug' };
    const text = typeof parsed.msg === 'string' ? parsed.msg : line;
    return { type: 'problem', text, level: parsed.level >= PINO_ERROR ? 'error' : 'warn' };
  } catch {
    return { type: 'problem', text: line, level: 'error' };
  }
}

/** Owns the children it started; `stopAll` ends them all within a deadline. */
export class Supervisor {
  private readonly children = new Map<number, { name: string; proc: ChildProcess; exited: Promise<void> }>();
  private stopping = false;

  /** `onProblem` defaults to a warning in this process's log, so nothing is dropped silently. */
  constructor(
    private readonly log: Logger,
    private readonly onProblem: ChildProblemSink = (child, text, level) => log[level]({ child }, text),
  ) {}

  /** Spawns a child. An unexpected exit is logged and reported to `onExit`. */
  start(
    spec: ChildSpec,
    onExit?: (code: number | null, signal: NodeJS.Signals | null) => void,
  ): ChildProcess {
    const proc = spawn(spec.command, [...spec.args], {
      env: spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = proc.pid;
    if (pid === undefined) throw new Error(`could not start ${spec.name}`);
    const exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        this.children.delete(pid);
        if (!this.stopping) {
          this.log.warn({ child: spec.name, code, signal }, 'child exited');
          onExit?.(code, signal);
        }
        resolve();
      });
    });
    this.children.set(pid, { name: spec.name, proc, exited });
    if (proc.stdout !== null) {
      createInterface({ input: proc.stdout }).on('line', (line) => spec.onLine?.(line));
    }
    if (proc.stderr !== null) {
      createInterface({ input: proc.stderr }).on('line', (line) => {
        const c = classifyStderrLine(line);
        if (c.type === 'problem') this.onProblem(spec.name, c.text, c.level);
        else this.log.debug({ child: spec.name }, line);
      });
    }
    return proc;
  }

  /** PIDs of the children still running. */
  get pids(): number[] {
    return [...this.children.keys()];
  }

  /** SIGTERM to every child, then SIGKILL to those still running after `graceMs`. */
  async stopAll(graceMs: number): Promise<void> {
    this.stopping = true;
    const all = [...this.children.values()];
    for (const c of all) c.proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const result = await Promise.race([Promise.all(all.map((c) => c.exited)), deadline]);
    clearTimeout(timer);
    if (result === 'timeout') {
      for (const c of this.children.values()) {
        this.log.warn({ child: c.name }, 'child did not stop in time; killing');
        c.proc.kill('SIGKILL');
      }
      await Promise.all([...this.children.values()].map((c) => c.exited));
    }
  }
}

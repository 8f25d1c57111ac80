/**
 * Pure: the `weft` commands shown in Markdown (fenced sh/bash/console/shell blocks), and the
 * docs-test markers that say how each is tested. A marker is an HTML comment on the line
 * before a fence:
 *   <!-- docs-test: flags-only: REASON -->  the block's commands need what a test machine lacks
 *     (a cluster, a running mesh); each is checked against `--help`: the command exists and
 *     takes every flag shown. REASON is required.
 *   <!-- docs-test: file PATH -->  the (YAML) block is written to PATH for later commands.
 * Every other command runs as shown (without what follows a `|`, `>` or `#`) and must exit 0.
 */

/** One command line of a document. */
export interface DocCommand {
  readonly file: string;
  readonly line: number;
  /** The words of the weft command, `weft` first; pipes, redirections and comments cut off. */
  readonly argv: readonly string[];
  readonly mode: { type: 'run' } | { type: 'flags-only'; reason: string };
}

/** A file a document shows, to create before its later commands run. */
export interface DocFile {
  readonly line: number;
  readonly path: string;
  readonly content: string;
}

/** Everything of one document, in order. */
export type DocStep = ({ type: 'command' } & DocCommand) | ({ type: 'file' } & DocFile);

const SHELL_FENCES = new Set(['sh', 'bash', 'console', 'shell']);
const MARKER = /^<!--\s*docs-test:\s*(.*?)\s*-->\s*$/;

/** Splits a command line into words: '...' and "..." quoting, nothing else (no expansions). */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    words.push(m[1] ?? (m[2] === undefined ? (m[3] as string) : m[2].replace(/\\(.)/g, '$1')));
  }
  return words;
}

/** The weft command of a shell line (`weft`, `npx weft` or `$ weft`), or undefined. */
export function weftCommand(line: string): string[] | undefined {
  const text = line.trim().replace(/^\$\s+/, '');
  if (!/^(npx\s+)?weft(\s|$)/.test(text)) return undefined;
  const words: string[] = [];
  for (const word of shellWords(text.replace(/^npx\s+/, ''))) {
    if (word === '|' || word === '>' || word === '&&' || word.startsWith('#') || word === '2>&1') break;
    words.push(word);
  }
  return words;
}

/** The steps of one Markdown document. Throws on a marker it does not understand. */
export function docSteps(file: string, markdown: string): DocStep[] {
  const steps: DocStep[] = [];
  const lines = markdown.split('\n');
  let marker: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const m = MARKER.exec(line.trim());
    if (m !== null) {
      marker = m[1] as string;
      continue;
    }
    const fence = /^```(\w*)\s*$/.exec(line.trim());
    if (fence === null) {
      if (line.trim() !== '') marker = undefined;
      continue;
    }
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test((lines[end] as string).trim())) end++;
    const body = lines.slice(start, end);
    i = end;
    const applied = marker;
    marker = undefined;
    if (applied?.startsWith('file ')) {
      steps.push({
        type: 'file',
        line: start,
        path: applied.slice(5).trim(),
        content: `${body.join('\n')}\n`,
      });
      continue;
    }
    if (!SHELL_FENCES.has(fence[1] as string)) continue;
    let mode: DocCommand['mode'] = { type: 'run' };
    if (applied !== undefined) {
      const flagsOnly = /^flags-only:\s*(.+)$/.exec(applied);
      if (flagsOnly === null) throw new Error(`${file}:${start - 1}: unknown docs-test marker "${applied}"`);
      mode = { type: 'flags-only', reason: (flagsOnly[1] as string).trim() };
    }
    // Join continued lines (a trailing backslash) before reading commands.
    for (let j = 0; j < body.length; j++) {
      let text = body[j] as string;
      const first = j;
      while (text.endsWith('\\') && j + 1 < body.length) text = `${text.slice(0, -1)} ${body[++j]}`;
      const argv = weftCommand(text);
      if (argv !== undefined) steps.push({ type: 'command', file, line: start + first + 1, argv, mode });
    }
  }
  return steps;
}

/** The long flags a command uses (`--window 0` -> `--window`; `-n` stays short). */
export function flagsOf(argv: readonly string[]): string[] {
  return argv.filter((w) => /^--?[a-zA-Z]/.test(w)).map((w) => w.split('=')[0] as string);
}

/** The subcommand path of a command: its words up to the first flag (`weft identity create-ca`). */
export function commandPathOf(argv: readonly string[]): string[] {
  const path: string[] = [];
  for (const word of argv.slice(1)) {
    if (word.startsWith('-')) break;
    path.push(word);
  }
  return path;
}

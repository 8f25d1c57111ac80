/**
 * `weft completion bash|zsh|fish`: a shell completion script generated from the command tree,
 * so it always matches the flags of this weft. Static on purpose: libraries such as tabtab or
 * omelette call back into the CLI on every Tab (a Node start, ~100 ms) and edit rc files.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { CliIo } from '../cli-kit/io.js';

/** One command of the tree: its path below `weft`, subcommand names, and long flags. */
interface Node {
  path: string;
  description: string;
  subcommands: string[];
  flags: Array<{ long: string; description: string; takesValue: boolean }>;
}

function nodes(command: Command, prefix = ''): Node[] {
  const visible = command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  const here: Node = {
    path: prefix,
    description: command.description(),
    subcommands: visible.map((c) => c.name()),
    flags: [
      ...command.options
        .filter((o) => !o.hidden && o.long !== undefined)
        .map((o) => ({
          long: o.long as string,
          description: o.description,
          takesValue: o.required || o.optional,
        })),
      { long: '--help', description: 'show help', takesValue: false },
    ],
  };
  return [here, ...visible.flatMap((c) => nodes(c, prefix === '' ? c.name() : `${prefix} ${c.name()}`))];
}

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/** The bash script (zsh loads it through bashcompinit). */
export function bashScript(program: Command): string {
  const all = nodes(program);
  const words = all
    .map(
      (n) =>
        `    ${quote(n.path)}) echo ${quote([...n.subcommands, ...n.flags.map((f) => f.long)].join(' '))} ;;`,
    )
    .join('\n');
  const paths = all.map((n) => quote(n.path)).join('|');
  return `# weft completion for bash: eval "$(weft completion bash)" (or save it in bash_completion.d)
_weft_words() {
  case "$1" in
${words}
  esac
}
_weft_is_command() {
  case "$1" in
    ${paths}) return 0 ;;
  esac
  return 1
}
_weft() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$word" in -*) continue ;; esac
    if _weft_is_command "\${path:+$path }$word"; then path="\${path:+$path }$word"; fi
  done
  COMPREPLY=($(compgen -W "$(_weft_words "$path")" -- "$cur"))
}
complete -o default -F _weft weft
`;
}

/** The zsh script: zsh's bash compatibility layer running the bash script. */
export function zshScript(program: Command): string {
  return `# weft completion for zsh: eval "$(weft completion zsh)"
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(program).split('\n').slice(1).join('\n')}`;
}

/** The fish script: one `complete` line per subcommand and flag. */
export function fishScript(program: Command): string {
  const lines = [
    '# weft completion for fish: weft completion fish > ~/.config/fish/completions/weft.fish',
    'complete -c weft -f',
  ];
  const all = nodes(program);
  for (const node of all) {
    const words = node.path === '' ? [] : node.path.split(' ');
    const condition =
      words.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${words[words.length - 1]}`;
    for (const sub of node.subcommands) {
      const child = all.find((n) => n.path === (node.path === '' ? sub : `${node.path} ${sub}`));
      lines.push(
        `complete -c weft -n ${quote(condition)} -a ${sub} -d ${quote(child?.description.split('\n')[0]?.slice(0, 80) ?? '')}`,
      );
    }
    for (const flag of node.flags) {
      lines.push(
        `complete -c weft -n ${quote(condition)} -l ${flag.long.slice(2)}${flag.takesValue ? ' -r -F' : ''} -d ${quote(flag.description.slice(0, 80))}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

const SHELLS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

export function registerCompletion(program: Command, io: CliIo): void {
  program
    .command('completion')
    .description('print a shell completion script: eval "$(weft completion bash)"')
    .argument('<shell>', 'bash, zsh or fish', (value: string) => {
      if (!(value in SHELLS)) throw new InvalidArgumentError('must be bash, zsh or fish');
      return value as keyof typeof SHELLS;
    })
    .action((shell: keyof typeof SHELLS) => {
      io.stdout(SHELLS[shell](program));
    });
}

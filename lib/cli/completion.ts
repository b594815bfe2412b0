/**
 * `utmpx completion bash|zsh|fish`: a completion script for the shell, made
 * from the subcommands' help text (help.ts), as the man pages are: the
 * subcommands, their options, file names where an option or the command
 * takes a file, and the words of a value written `a|b|c`.
 */
import { type Command, UsageError } from './common';
import { type HelpOption, helpOptions, summaryColumns } from './help';

interface Completable {
  name: string;
  description: string;
  options: HelpOption[];
  /** The command takes a FILE argument (`who FILE`, `dump FILE`). */
  fileArgument: boolean;
}

const SHELLS = ['bash', 'zsh', 'fish'];

function completables(commands: Record<string, Command>): Completable[] {
  return Object.entries(commands).map(([name, c]) => ({
    name,
    description: summaryColumns(c.summary)[1],
    options: helpOptions(c.help),
    fileArgument: /(?:\[|\| )FILE\b/.test(c.help.split('\n')[0]),
  }));
}

const takesFile = (o: HelpOption) => o.value === 'FILE';
const choices = (o: HelpOption) => (o.value?.includes('|') ? o.value.split('|') : null);
const names = (o: HelpOption) => [o.short, o.long].filter((n): n is string => n !== undefined);
/** One line of text a shell takes inside single quotes, without the characters completion syntaxes give meaning to. */
const plain = (s: string) => s.replace(/[\\'[\]:]/g, '').replace(/\s+/g, ' ').trim();

function bash(cs: Completable[]): string {
  const cases = cs.map((c) => {
    const valueCases = c.options.filter((o) => o.value).map((o) => {
      const pattern = names(o).map((n) => `"${c.name} ${n}"`).join('|');
      const reply = takesFile(o) ? 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))'
        : choices(o) ? `COMPREPLY=($(compgen -W "${choices(o)!.join(' ')}" -- "$cur"))` : 'COMPREPLY=()';
      return `    ${pattern}) ${reply}; return ;;`;
    });
    return valueCases.join('\n');
  }).filter(Boolean).join('\n');
  const optionWords = cs.map((c) => `    ${c.name}) opts="${c.options.flatMap(names).join(' ')} --help" ;;`).join('\n');
  const fileCommands = cs.filter((c) => c.fileArgument).map((c) => c.name).join('|');
  return `# utmpx completion for bash, from \`utmpx completion bash\`. Load it with
#   source <(utmpx completion bash)
# or save it as /usr/share/bash-completion/completions/utmpx
_utmpx() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd=\${COMP_WORDS[1]} opts=
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${cs.map((c) => c.name).join(' ')} help --help --version" -- "$cur"))
    return
  fi
  if [ "$cmd" = help ]; then
    [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "${cs.map((c) => c.name).join(' ')}" -- "$cur"))
    return
  fi
  case "$cmd $prev" in
${cases}
  esac
  case "$cmd" in
${optionWords}
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [[ $cmd == @(${fileCommands || '-'}) ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _utmpx utmpx
`;
}

function zsh(cs: Completable[]): string {
  const spec = (o: HelpOption) => {
    const description = plain(o.text[0] ?? '');
    const value = o.value ? `:${plain(o.value).toLowerCase()}:${takesFile(o) ? '_files' : choices(o) ? `(${choices(o)!.join(' ')})` : ' '}` : '';
    const both = names(o);
    const exclusion = both.length > 1 ? `'(${both.join(' ')})'{${both.join(',')}}'` : `'${both[0]}`;
    return `${exclusion}[${description}]${value}'`;
  };
  const cases = cs.map((c) => {
    const rest = c.fileArgument ? "'*:file:_files'" : "'*:argument: '";
    return `    (${c.name}) _arguments -s ${[...c.options.map(spec), rest].join(' \\\n        ')} ;;`;
  }).join('\n');
  return `#compdef utmpx
# utmpx completion for zsh, from \`utmpx completion zsh\`. Load it with
#   source <(utmpx completion zsh)
# or save it as _utmpx in a folder of $fpath.
_utmpx() {
  local -a commands
  commands=(${cs.map((c) => `'${c.name}:${plain(c.description)}'`).join(' ')})
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  local cmd=$words[2]
  shift words
  (( CURRENT-- ))
  case $cmd in
    (help) _describe 'command' commands ;;
${cases}
  esac
}
if [ "$funcstack[1]" = _utmpx ]; then _utmpx "$@"; else compdef _utmpx utmpx; fi
`;
}

function fish(cs: Completable[]): string {
  const lines = [
    '# utmpx completion for fish, from `utmpx completion fish`. Load it with',
    '#   utmpx completion fish | source',
    '# or save it as ~/.config/fish/completions/utmpx.fish',
    'complete -c utmpx -f',
    ...cs.map((c) => `complete -c utmpx -n __fish_use_subcommand -a ${c.name} -d '${plain(c.description)}'`),
    `complete -c utmpx -n __fish_use_subcommand -a help -d 'a command\\'s help'`,
  ];
  for (const c of cs) {
    const when = `-n '__fish_seen_subcommand_from ${c.name}'`;
    for (const o of c.options) {
      const flags = [o.short ? `-s ${o.short.slice(1)}` : '', o.long ? `-l ${o.long.slice(2)}` : ''].filter(Boolean).join(' ');
      const value = !o.value ? '' : takesFile(o) ? ' -r -F' : choices(o) ? ` -x -a '${choices(o)!.join(' ')}'` : ' -x';
      lines.push(`complete -c utmpx ${when} ${flags}${value} -d '${plain(o.text[0] ?? '')}'`);
    }
    if (c.fileArgument) lines.push(`complete -c utmpx ${when} -F`);
  }
  return lines.join('\n') + '\n';
}

/** The `completion` subcommand, completing `commands` (itself among them). */
export function completionCommand(commands: Record<string, Command>): Command {
  return {
    summary: 'completion bash|zsh|fish  a shell completion script',
    help: `Usage: utmpx completion bash|zsh|fish
Prints a completion script for the shell: the subcommands, their options, and
file names where they take files. Load it for this shell, or save it where the
shell looks for completions:

  bash  source <(utmpx completion bash)
  zsh   source <(utmpx completion zsh)
  fish  utmpx completion fish | source

  -h, --help  this text
`,
    run(args, io) {
      if (args.length !== 1 || !SHELLS.includes(args[0])) {
        throw new UsageError(`completion: name one shell: ${SHELLS.join(', ')}`);
      }
      const cs = completables(commands);
      io.out.write(args[0] === 'bash' ? bash(cs) : args[0] === 'zsh' ? zsh(cs) : fish(cs));
      return 0;
    },
  };
}

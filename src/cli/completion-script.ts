import type { Command, Option } from 'commander';

/**
 * Shell completion scripts made from the commander program itself, at the moment they are asked
 * for: a new command or option is completed without anyone touching this file. `--env` values are
 * read from the config when the user presses TAB, by a small awk over the `environments:` block
 * (two-space indented keys, as `metabase.config.yaml` is written): no Node start-up per TAB.
 */
export type Shell = 'bash' | 'zsh' | 'fish';
export const SHELLS: Shell[] = ['bash', 'zsh', 'fish'];

interface CompletionOption {
  short?: string;
  long?: string;
  /** `file` and `dir` values complete paths; `env` the config's environments; `other` nothing. */
  value?: 'file' | 'dir' | 'env' | 'other';
  description: string;
}

interface CompletionNode {
  /** `''` for the program, `db apply` for a nested command. */
  path: string;
  subcommands: Array<{ name: string; description: string }>;
  options: CompletionOption[];
  /** What the command's first argument takes: a file (`apply PLAN-FILE`), one of some words, or none. */
  argument?: 'file' | string[];
}

export interface CompletionSpec {
  name: string;
  nodes: CompletionNode[];
}

function optionOf(option: Option): CompletionOption {
  const valueName = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1] ?? '';
  const value = !option.required && !option.optional ? undefined
    : option.long === '--env' ? 'env'
      : /file/.test(valueName) ? 'file'
        : /dir/.test(valueName) ? 'dir'
          : 'other';
  return { ...(option.short ? { short: option.short } : {}), ...(option.long ? { long: option.long } : {}), ...(value ? { value } : {}), description: option.description };
}

function argumentOf(command: Command): Pick<CompletionNode, 'argument'> {
  const first = command.registeredArguments[0];
  if (first === undefined) return {};
  return { argument: first.argChoices ?? 'file' };
}

export function completionSpec(program: Command): CompletionSpec {
  const nodes: CompletionNode[] = [];
  const visit = (command: Command, path: string) => {
    const subs = command.commands.filter((c) => c.name() !== 'help');
    nodes.push({
      path,
      subcommands: subs.map((c) => ({ name: c.name(), description: c.description() })),
      options: [...command.options.map(optionOf), { long: '--help', short: '-h', description: 'display help' }],
      ...argumentOf(command),
    });
    for (const sub of subs) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return { name: program.name(), nodes };
}

const flagsOf = (o: CompletionOption) => [o.short, o.long].filter((f): f is string => f !== undefined);
const withValue = (spec: CompletionSpec, kind?: CompletionOption['value']) =>
  [...new Set(spec.nodes.flatMap((n) => n.options.filter((o) => (kind ? o.value === kind : o.value !== undefined)).flatMap(flagsOf)))];
const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
const ident = (spec: CompletionSpec) => `_${spec.name.replace(/\W/g, '_')}`;

/** Prints the environments of the config given with -c/--config (default metabase.config.yaml). */
const AWK_ENVIRONMENTS = `awk '/^environments:/{on=1;next} on&&/^[^ #]/{on=0} on&&/^  [A-Za-z0-9_.-]+:/{sub(/^  /,"");sub(/:.*/,"");print}'`;

function shellCases(spec: CompletionSpec, list: (node: CompletionNode) => string[], style: 'sh' | 'fish'): string {
  return spec.nodes.map((node) => style === 'sh'
    ? `    ${quote(node.path)}) echo ${quote(list(node).join(' '))} ;;`
    : `    case ${quote(node.path)}\n      ${list(node).length === 0 ? 'true' : `printf '%s\\n' ${list(node).map(quote).join(' ')}`}`).join('\n');
}

/** `<file>` for a file argument, else the words the argument accepts; commands without one are left out. */
function argumentCases(spec: CompletionSpec): string {
  return spec.nodes.filter((n) => n.argument !== undefined)
    .map((n) => `    ${quote(n.path)}) echo ${quote(n.argument === 'file' ? '<file>' : (n.argument as string[]).join(' '))} ;;`).join('\n');
}

/** The lookups bash and zsh share: a command path's subcommands, options and argument. */
function shellLookups(spec: CompletionSpec): string {
  const f = ident(spec);
  const globalFlags = spec.nodes.find((n) => n.path === '')!.options.flatMap(flagsOf);
  return `${f}_subcommands() {
  case "$1" in
${shellCases(spec, (n) => n.subcommands.map((s) => s.name), 'sh')}
  esac
}
${f}_options() {
  case "$1" in
${shellCases(spec, (n) => n.options.flatMap(flagsOf).filter((flag) => n.path === '' || !globalFlags.includes(flag)), 'sh')}
  esac
}
${f}_arguments() {
  case "$1" in
${argumentCases(spec)}
  esac
}`;
}

function bash(spec: CompletionSpec): string {
  const f = ident(spec);
  return `# ${spec.name} completion for bash, made by \`${spec.name} completion bash\` from the command definitions.
# Load it with:  source <(${spec.name} completion bash)   (or save it in ~/.local/share/bash-completion/completions/${spec.name})
${shellLookups(spec)}
${f}_envs() {
  local config=metabase.config.yaml i
  for ((i = 1; i < \${#COMP_WORDS[@]}; i++)); do
    case "\${COMP_WORDS[i]}" in
      -c|--config) config="\${COMP_WORDS[i+1]}" ;;
      --config=*) config="\${COMP_WORDS[i]#--config=}" ;;
    esac
  done
  [[ -r "$config" ]] && ${AWK_ENVIRONMENTS} "$config"
}
${f}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmdpath="" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case " ${withValue(spec).join(' ')} " in *" $word "*) ((i++)); continue ;; esac
    [[ "$word" == -* ]] && continue
    case " $(${f}_subcommands "$cmdpath") " in *" $word "*) cmdpath="\${cmdpath:+$cmdpath }$word" ;; esac
  done
  case " ${withValue(spec, 'env').join(' ')} " in *" $prev "*) COMPREPLY=($(compgen -W "$(${f}_envs)" -- "$cur")); return ;; esac
  case " ${withValue(spec, 'file').join(' ')} " in *" $prev "*) COMPREPLY=($(compgen -f -- "$cur")); return ;; esac
  case " ${withValue(spec, 'dir').join(' ')} " in *" $prev "*) COMPREPLY=($(compgen -d -- "$cur")); return ;; esac
  case " ${withValue(spec, 'other').join(' ')} " in *" $prev "*) return ;; esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(${f}_options "$cmdpath") $(${f}_options '')" -- "$cur"))
  else
    local arguments="$(${f}_arguments "$cmdpath")"
    COMPREPLY=($(compgen -W "$(${f}_subcommands "$cmdpath") \${arguments#<file>}" -- "$cur"))
    [[ "$arguments" == '<file>' ]] && COMPREPLY+=($(compgen -f -- "$cur"))
  fi
}
complete -F ${f} ${spec.name}
`;
}

function zsh(spec: CompletionSpec): string {
  const f = ident(spec);
  // No \`local path\`: in zsh it is tied to PATH.
  return `#compdef ${spec.name}
# ${spec.name} completion for zsh, made by \`${spec.name} completion zsh\` from the command definitions.
# Load it with:  source <(${spec.name} completion zsh)   (after compinit), or save it as _${spec.name} in your fpath.
${shellLookups(spec)}
${f}_envs() {
  local config=metabase.config.yaml i
  for ((i = 2; i <= \${#words}; i++)); do
    case "\${words[i]}" in
      -c|--config) config="\${words[i+1]}" ;;
      --config=*) config="\${words[i]#--config=}" ;;
    esac
  done
  [[ -r "$config" ]] && ${AWK_ENVIRONMENTS} "$config"
}
${f}() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}" cmdpath="" word i
  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    case " ${withValue(spec).join(' ')} " in *" $word "*) ((i++)); continue ;; esac
    [[ "$word" == -* ]] && continue
    case " $(${f}_subcommands "$cmdpath") " in *" $word "*) cmdpath="\${cmdpath:+$cmdpath }$word" ;; esac
  done
  case " ${withValue(spec, 'env').join(' ')} " in *" $prev "*) compadd -- \${(f)"$(${f}_envs)"}; return ;; esac
  case " ${withValue(spec, 'file').join(' ')} " in *" $prev "*) _files; return ;; esac
  case " ${withValue(spec, 'dir').join(' ')} " in *" $prev "*) _files -/; return ;; esac
  case " ${withValue(spec, 'other').join(' ')} " in *" $prev "*) return ;; esac
  if [[ "$cur" == -* ]]; then
    compadd -- \${=$(${f}_options "$cmdpath")} \${=$(${f}_options '')}
  else
    local subs="$(${f}_subcommands "$cmdpath")" arguments="$(${f}_arguments "$cmdpath")"
    [[ -n "$subs" ]] && compadd -- \${=subs}
    if [[ "$arguments" == '<file>' ]]; then _files; elif [[ -n "$arguments" ]]; then compadd -- \${=arguments}; fi
  fi
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  ${f} "$@"
else
  compdef ${f} ${spec.name}
fi
`;
}

function fish(spec: CompletionSpec): string {
  const f = `_${ident(spec)}`;
  const root = spec.nodes.find((n) => n.path === '')!;
  const globalFlags = root.options.flatMap(flagsOf);
  const complete = (node: CompletionNode | undefined, option: CompletionOption) => {
    const parts = [`complete -c ${spec.name}`];
    if (node) parts.push(`-n ${quote(`${f}_at ${quote(node.path)}`)}`);
    if (option.short) parts.push(`-s ${option.short.replace(/^-/, '')}`);
    if (option.long) parts.push(`-l ${option.long.replace(/^--/, '')}`);
    if (option.value === 'env') parts.push(`-x -a ${quote(`(${f}_envs)`)}`);
    else if (option.value === 'file' || option.value === 'dir') parts.push('-r -F');
    else if (option.value === 'other') parts.push('-x');
    parts.push(`-d ${quote(option.description)}`);
    return parts.join(' ');
  };
  const lines: string[] = [];
  for (const node of spec.nodes) {
    if (Array.isArray(node.argument)) lines.push(`complete -c ${spec.name} -n ${quote(`${f}_at ${quote(node.path)}`)} -a ${quote(node.argument.join(' '))}`);
    else if (node.argument === 'file') lines.push(`complete -c ${spec.name} -n ${quote(`${f}_at ${quote(node.path)}`)} -F`);
    for (const sub of node.subcommands) lines.push(`complete -c ${spec.name} -n ${quote(`${f}_at ${quote(node.path)}`)} -a ${quote(sub.name)} -d ${quote(sub.description)}`);
    for (const option of node.options) {
      if (node.path !== '' && option.long && globalFlags.includes(option.long)) continue;
      lines.push(complete(node.path === '' ? undefined : node, option));
    }
  }
  return `# ${spec.name} completion for fish, made by \`${spec.name} completion fish\` from the command definitions.
# Load it with:  ${spec.name} completion fish | source   (or save it in ~/.config/fish/completions/${spec.name}.fish)
function ${f}_subcommands
  switch "$argv[1]"
${shellCases(spec, (n) => n.subcommands.map((s) => s.name), 'fish')}
  end
end
function ${f}_path
  set -l tokens (commandline -opc)
  set -e tokens[1]
  set -l cmdpath
  set -l skip 0
  for word in $tokens
    if test $skip = 1
      set skip 0
      continue
    end
    if contains -- $word ${withValue(spec).join(' ')}
      set skip 1
      continue
    end
    string match -q -- '-*' $word; and continue
    if contains -- $word (${f}_subcommands "$cmdpath")
      set cmdpath (string join ' ' $cmdpath $word)
    end
  end
  echo "$cmdpath"
end
function ${f}_at
  set -l here (${f}_path)
  test "$here" = "$argv[1]"
end
function ${f}_envs
  set -l config metabase.config.yaml
  set -l tokens (commandline -opc)
  for i in (seq (count $tokens))
    switch $tokens[$i]
      case -c --config
        set -l next (math $i + 1)
        test $next -le (count $tokens); and set config $tokens[$next]
      case '--config=*'
        set config (string replace -- --config= '' $tokens[$i])
    end
  end
  test -r "$config"; and ${AWK_ENVIRONMENTS} "$config"
end
complete -c ${spec.name} -f
${lines.join('\n')}
`;
}

export function completionScript(spec: CompletionSpec, shell: Shell): string {
  return shell === 'bash' ? bash(spec) : shell === 'zsh' ? zsh(spec) : fish(spec);
}

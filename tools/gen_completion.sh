#!/bin/sh
# gen_completion.sh SYSFENCE_BIN: prints a bash completion script for
# sysfence on stdout.
#
# Commands come from `sysfence help`, each command's flags from the options
# section of `sysfence help COMMAND`: the same text the man page is made
# from, so completion offers exactly what the binary accepts. (A script over
# the help text rather than a `sysfence completion bash` subcommand: the CLI
# stays as it is, and the help is already checked to list exactly the flags
# each command's parser takes.)
# shellcheck disable=SC2016 # the $ signs in quotes belong to the generated script
set -eu

bin=${1:?usage: gen_completion.sh SYSFENCE_BIN}

commands=$("$bin" help | awk '/^commands:$/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
[ -n "$commands" ] || { echo "gen_completion.sh: $bin help lists no commands" >&2; exit 1; }
words=$(printf '%s\n' "$commands" | tr '\n' ' ' | sed 's/ *$//')

# The flags of one command: every word of the flag column (the text before
# the first two spaces of an option line) that starts with '-'.
flags_of() {
  "$bin" help "$1" | awk '
    /^options:$/ { on = 1; next }
    on && /^  -/ {
      line = $0
      sub(/^  /, "", line)
      sub(/  .*$/, "", line)
      n = split(line, words, /[ ,]+/)
      for (i = 1; i <= n; i++) if (words[i] ~ /^-/) printf "%s ", words[i]
    }'
  printf '%s' '--help'
}

cat <<'HEAD'
# bash completion for sysfence, generated from `sysfence help` by
# tools/gen_completion.sh.
_sysfence() {
  local cur=${COMP_WORDS[COMP_CWORD]} command="" flags="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      -*) ;;
      *) command=${COMP_WORDS[i]}; break ;;
    esac
  done
  case $command in
HEAD
printf '    "") mapfile -t COMPREPLY < <(compgen -W "%s help --help --version" -- "$cur"); return ;;\n' "$words"
printf '    help) mapfile -t COMPREPLY < <(compgen -W "%s" -- "$cur"); return ;;\n' "$words"
for command in $commands; do
  printf '    %s) flags="%s" ;;\n' "$command" "$(flags_of "$command")"
done
cat <<'TAIL'
    *) return ;;
  esac
  # After `--` (run's CMD) and for operands: the shell's own completion.
  for ((i = 1; i < COMP_CWORD; i++)); do
    [[ ${COMP_WORDS[i]} == -- ]] && return
  done
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$flags" -- "$cur")
  fi
}
complete -o default -F _sysfence sysfence
TAIL

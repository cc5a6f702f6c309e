#!/bin/sh
# gen_man.sh SYSFENCE_BIN: prints the sysfence(1) man page (roff) on stdout.
#
# The page is made from the binary's own help (`sysfence help`, `sysfence
# help COMMAND` for every command it lists, `sysfence --version`), so the
# manual cannot say anything the binary does not: there is no committed page.
set -eu

bin=${1:?usage: gen_man.sh SYSFENCE_BIN}

# The command names in the "commands:" section of `sysfence help`.
commands=$("$bin" help | awk '/^commands:$/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
[ -n "$commands" ] || { echo "gen_man.sh: $bin help lists no commands" >&2; exit 1; }
version=$("$bin" --version | head -n 1)

# roff escaping shared by every awk below: backslashes and hyphens escaped, a
# line never starts with a control character ('.' or "'").
roff_awk='
function roff(s) {
  gsub(/\\/, "\\e", s)
  gsub(/-/, "\\-", s)
  if (s ~ /^[.'\'']/) s = "\\&" s
  return s
}'

cat <<HEAD
.TH SYSFENCE 1 "" "$version" "User Commands"
.SH NAME
sysfence \\- compile, prove, audit and run seccomp\\-BPF filters from Docker, runc and Podman profiles
.SH SYNOPSIS
.B sysfence
.I COMMAND
.RI [ ARGS ...]
.br
.B sysfence help
.RI [ COMMAND ]
.br
.B sysfence \\-\\-version
.SH DESCRIPTION
HEAD
"$bin" help | awk "$roff_awk"'
  /^usage:/ || /^commands:$/ { skip = 1; next }
  /^$/ { skip = 0; next }
  !skip && !/^  / { print roff($0) }'
echo '.SH COMMANDS'
"$bin" help | awk "$roff_awk"'
  /^commands:$/ { on = 1; next }
  on && /^$/ { exit }
  on {
    sub(/^  /, "")
    name = $1
    sub(/^[^ ]+ +/, "")
    print ".TP"
    print ".B " roff(name)
    print roff($0)
  }'

for command in $commands; do
  echo ".SS sysfence $command"
  "$bin" help "$command" | awk "$roff_awk"'
    NR == 1 { sub(/^usage: /, ""); usage = $0; next }
    /^options:$/ {
      print ".PP"
      print ".B Usage:"
      print roff(usage)
      print ".PP"
      print "Options:"
      options = 1
      next
    }
    /^$/ { next }
    !options { print roff($0); next }
    {
      # "  FLAG[, FLAG] VALUE   description": the flag column ends at the
      # first run of two spaces.
      line = $0
      sub(/^  /, "", line)
      flag = line
      sub(/  .*$/, "", flag)
      text = substr(line, length(flag) + 1)
      sub(/^ +/, "", text)
      print ".TP"
      print ".B " roff(flag)
      print roff(text)
    }
    END {
      if (!options) { print ".PP"; print ".B Usage:"; print roff(usage) }
    }'
done

cat <<TAIL
.SH EXIT STATUS
0 on success; 2 on bad input or usage, with a message on standard error and no partial output.
See each command for its other codes.
.SH SEE ALSO
.BR seccomp (2),
.BR prctl (2)
.SH LICENSE
Apache License 2.0.
TAIL

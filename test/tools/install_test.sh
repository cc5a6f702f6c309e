#!/bin/bash
# tools/install end to end: installs the already-built sysfence (SYSFENCE_BIN,
# so no bazel runs inside the test) into a temporary PREFIX and checks what
# a user gets: a binary that runs, a man page with a NAME section and one
# section per command, and a bash completion script that bash accepts and
# that completes commands and flags.
set -euo pipefail

root=$TEST_SRCDIR/$TEST_WORKSPACE
bin=$root/tools/sysfence
prefix=$TEST_TMPDIR/prefix
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

env -u BUILD_WORKSPACE_DIRECTORY SYSFENCE_BIN="$bin" SYSFENCE_LIB="$root/sysfence/lib/libsysfence.a" \
  "$root/tools/install" "$prefix" >"$TEST_TMPDIR/out" 2>&1 ||
  { cat "$TEST_TMPDIR/out" >&2; fail "tools/install exited $?"; exit 1; }

for f in bin/sysfence share/man/man1/sysfence.1 share/bash-completion/completions/sysfence \
  share/doc/sysfence/LICENSE; do
  [ -f "$prefix/$f" ] || fail "$f not installed"
done
[ -x "$prefix/bin/sysfence" ] || fail "bin/sysfence is not executable"

# The installed binary runs and reports the checked-in version.
version=$("$prefix/bin/sysfence" --version | head -n 1)
[ "$version" = "sysfence $(tr -d ' \n' <"$root/VERSION")" ] || fail "--version printed '$version'"
cmp -s "$root/LICENSE" "$prefix/share/doc/sysfence/LICENSE" || fail "LICENSE differs"
grep -q "Apache License" "$prefix/share/doc/sysfence/LICENSE" || fail "LICENSE is not the Apache license"

# The commands the binary lists: the indented first words of `sysfence help`
# between "commands:" and the next blank line.
mapfile -t commands < <("$bin" help | sed -n '/^commands:$/,/^$/{s/^  \([a-z][a-z]*\) .*/\1/p}')
[ "${#commands[@]}" -ge 11 ] || fail "sysfence help lists ${#commands[@]} commands"
listed=$(printf '%s\n' "${commands[@]}")
grep -qx compile <<<"$listed" || fail "sysfence help does not list compile"
grep -qx resolve <<<"$listed" || fail "sysfence help does not list resolve"

man=$prefix/share/man/man1/sysfence.1
grep -qx '\.TH SYSFENCE 1 .*' "$man" || fail "man page has no .TH line"
grep -qx '\.SH NAME' "$man" || fail "man page has no NAME section"
grep -qx 'sysfence \\- .*' "$man" || fail "man page NAME line is not 'sysfence \\- ...'"
for c in "${commands[@]}"; do
  [ "$(grep -cx "\.SS sysfence $c" "$man")" = 1 ] || fail "man page has no single section for $c"
  # Each command's section names every flag its --help lists.
  section=$(sed -n "/^\.SS sysfence $c\$/,/^\.S[SH] /p" "$man" | sed 's/\\-/-/g')
  # shellcheck disable=SC2016 # a sed address, not a shell expansion
  for flag in $("$bin" help "$c" | sed -n '/^options:$/,${s/^  \(-[^ ,]*\).*/\1/p}'); do
    grep -q -- "^\.B .*$flag" <<<"$section" || fail "man section of $c lacks $flag"
  done
done
# groff reads it without a warning.
if command -v groff >/dev/null; then
  warnings=$(groff -man -Tutf8 -ww -z "$man" 2>&1) || fail "groff failed"
  [ -z "$warnings" ] || fail "groff warnings: $warnings"
fi

completion=$prefix/share/bash-completion/completions/sysfence
bash -n "$completion" || fail "completion script is not valid bash"
# COMPREPLY for the words typed so far (the last one is being completed).
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _sysfence; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$completion" "$@"
}
[ "$(complete_words sysfence comp)" = compile ] || fail "'sysfence comp' completes to '$(complete_words sysfence comp)'"
[ "$(complete_words sysfence res)" = resolve ] || fail "'sysfence res' completes to '$(complete_words sysfence res)'"
[ "$(complete_words sysfence resolve --list | sort | tr '\n' ' ')" = "--list --list-arches " ] ||
  fail "'sysfence resolve --list' completes to '$(complete_words sysfence resolve --list)'"
[ "$(complete_words sysfence compile --arch x86_64 --no-v)" = --no-verify ] || fail "'compile --no-v' does not complete"
[ -z "$(complete_words sysfence run -- ls --ar)" ] || fail "run completes flags after --"
# Every command is offered for an empty word.
offered=$(complete_words sysfence "")
for c in "${commands[@]}"; do
  grep -qx "$c" <<<"$offered" || fail "command $c is not completed"
done
bash -c 'source "$1"; complete -p sysfence' _ "$completion" >/dev/null || fail "no 'complete' for sysfence"

# A bad PREFIX argument list is refused before anything is written.
if env -u BUILD_WORKSPACE_DIRECTORY SYSFENCE_BIN="$bin" SYSFENCE_LIB="$root/sysfence/lib/libsysfence.a" \
  "$root/tools/install" >/dev/null 2>&1; then
  fail "tools/install without PREFIX succeeded"
fi
if env -u BUILD_WORKSPACE_DIRECTORY SYSFENCE_BIN=/nonexistent "$root/tools/install" "$TEST_TMPDIR/p2" 2>/dev/null; then
  fail "tools/install with a missing binary succeeded"
fi
[ ! -e "$TEST_TMPDIR/p2" ] || fail "a failed install left $TEST_TMPDIR/p2"

# SYSFENCE_BIN alone, where no library has been built (the runfiles tree has
# no bazel-bin): no bazel runs (a `bazel` first on PATH records any call), the
# binary and its documents are installed, the library is not, and the
# installer says so and how to get it.
fake=$TEST_TMPDIR/fakebazel
mkdir -p "$fake"
printf '#!/bin/sh
echo "$*" >>"%s/called"
exit 1
' "$fake" >"$fake/bazel"
chmod +x "$fake/bazel"
p3=$TEST_TMPDIR/p3
if ! env -u BUILD_WORKSPACE_DIRECTORY -u SYSFENCE_LIB PATH="$fake:$PATH" SYSFENCE_BIN="$bin" \
  "$root/tools/install" "$p3" >"$TEST_TMPDIR/out3" 2>&1; then
  cat "$TEST_TMPDIR/out3" >&2
  fail "tools/install with SYSFENCE_BIN only failed"
fi
[ ! -e "$fake/called" ] || fail "tools/install with SYSFENCE_BIN only ran bazel $(cat "$fake/called")"
for f in bin/sysfence share/man/man1/sysfence.1 share/bash-completion/completions/sysfence \
  share/doc/sysfence/LICENSE; do
  [ -f "$p3/$f" ] || fail "SYSFENCE_BIN only: $f not installed"
done
for f in include/sysfence/sysfence.h lib/libsysfence.a lib/pkgconfig/sysfence.pc \
  lib/cmake/sysfence/sysfenceConfig.cmake; do
  [ ! -e "$p3/$f" ] || fail "SYSFENCE_BIN only: $f installed without the library"
done
grep -q "C++ library .* was not installed.*bazel build //sysfence:libsysfence" "$TEST_TMPDIR/out3" ||
  fail "SYSFENCE_BIN only: no note about the library: $(cat "$TEST_TMPDIR/out3")"

[ "$failures" = 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo PASS

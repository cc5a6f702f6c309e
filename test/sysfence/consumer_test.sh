#!/bin/bash
# The installed library as a user outside Bazel gets it: tools/install into
# a temporary PREFIX, then the consumer program built with plain
# `g++ $(pkg-config --cflags --libs sysfence)` and with CMake's
# find_package(sysfence) (skipped, saying so, where cmake is missing). Each
# build must run and compile Docker's default for the native ABI with a
# proof. Also: a consumer compiled without -std=c++20 gets the header's
# message, not a cascade of errors.
set -euo pipefail

root=$TEST_SRCDIR/$TEST_WORKSPACE
prefix=$TEST_TMPDIR/prefix
consumer=$root/test/sysfence/consumer
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

env -u BUILD_WORKSPACE_DIRECTORY SYSFENCE_BIN="$root/tools/sysfence" \
  SYSFENCE_LIB="$root/sysfence/lib/libsysfence.a" "$root/tools/install" "$prefix" >"$TEST_TMPDIR/out" 2>&1 ||
  { cat "$TEST_TMPDIR/out" >&2; echo "FAIL: tools/install exited non-zero" >&2; exit 1; }
for f in include/sysfence/sysfence.h lib/libsysfence.a lib/pkgconfig/sysfence.pc \
  lib/cmake/sysfence/sysfenceConfig.cmake; do
  [ -f "$prefix/$f" ] || fail "$f not installed"
done

# The installed header is the only one: nothing internal may be needed.
grep -q '#include "' "$prefix/include/sysfence/sysfence.h" && fail "the public header includes a project header"

# Under `bazel test --config=asan` the archive holds sanitizer-instrumented
# objects, which a plain g++ or CMake consumer cannot link; the normal run
# builds both consumers against the real archive.
if nm "$prefix/lib/libsysfence.a" 2>/dev/null | grep ' U __asan_' >/dev/null; then
  echo "SKIP: the installed libsysfence.a is a sanitizer build; plain consumers are built by the normal run"
  exit 0
fi

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cflags=$(pkg-config --cflags sysfence) || fail "pkg-config --cflags sysfence failed"
libs=$(pkg-config --libs sysfence) || fail "pkg-config --libs sysfence failed"
grep -q -- '-std=c++20' <<<"$cflags" || fail "Cflags lack -std=c++20: $cflags"
[ "$(pkg-config --modversion sysfence)" = "$(tr -d ' \n' <"$root/VERSION")" ] || fail "pkg-config version differs"

# shellcheck disable=SC2086 # the flags are words
if g++ $cflags -o "$TEST_TMPDIR/consumer" "$consumer/main.cc" $libs 2>"$TEST_TMPDIR/gxx.err"; then
  "$TEST_TMPDIR/consumer" >"$TEST_TMPDIR/run.out" 2>&1 || { cat "$TEST_TMPDIR/run.out" >&2; fail "pkg-config consumer failed"; }
  grep -q "instructions, proved equal to the policy" "$TEST_TMPDIR/run.out" || fail "pkg-config consumer printed: $(cat "$TEST_TMPDIR/run.out")"
else
  cat "$TEST_TMPDIR/gxx.err" >&2
  fail "g++ with pkg-config flags failed"
fi

# Without C++20 the header says what is wrong.
if g++ -std=c++17 -I"$prefix/include" -fsyntax-only -x c++ "$consumer/main.cc" 2>"$TEST_TMPDIR/cxx17.err"; then
  fail "the header compiled as C++17"
elif ! grep -q "needs C++20" "$TEST_TMPDIR/cxx17.err"; then
  fail "C++17 build did not print the header's message"
fi

if command -v cmake >/dev/null 2>&1; then
  build=$TEST_TMPDIR/cmake-build
  if cmake -S "$consumer" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" >"$TEST_TMPDIR/cmake.out" 2>&1 &&
    cmake --build "$build" >>"$TEST_TMPDIR/cmake.out" 2>&1; then
    "$build/consumer" >"$TEST_TMPDIR/cmake-run.out" 2>&1 || fail "CMake consumer failed: $(cat "$TEST_TMPDIR/cmake-run.out")"
  else
    cat "$TEST_TMPDIR/cmake.out" >&2
    fail "CMake consumer did not build"
  fi
else
  echo "SKIP: cmake not installed; the find_package(sysfence) consumer was not built"
fi

[ "$failures" -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "PASS"

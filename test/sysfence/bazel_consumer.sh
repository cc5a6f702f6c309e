#!/bin/bash
# The external Bazel workspace consumer: a workspace in a temporary
# directory that depends on this tree through local_repository, builds
# test/sysfence/consumer/main.cc against @sysfence//sysfence and runs it
# (Docker's default compiled for the native ABI, with a proof).
#
# Not a bazel test: it runs a second Bazel (own output base, a full build of
# the library's sources) which does not fit inside a test's sandbox and time
# budget. .ci/run runs it when there is time.
#
# //sysfence sets -std=c++20 for itself; the library's internal targets take
# the standard from the build (this tree's ~/.bazelrc or the consumer's
# .bazelrc, as written below).
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'bazel --output_base="$work/output_base" shutdown >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/ws"
sed "s|@SYSFENCE@|$src|g" "$src/test/sysfence/bazel_consumer/WORKSPACE.in" >"$work/ws/WORKSPACE"
cp "$src/test/sysfence/bazel_consumer/BUILD.bazel.in" "$work/ws/BUILD.bazel"
cp "$src/test/sysfence/consumer/main.cc" "$work/ws/main.cc"
echo "build --cxxopt=-std=c++20 --host_cxxopt=-std=c++20" >"$work/ws/.bazelrc"

cd "$work/ws"
bazel --output_base="$work/output_base" build //:consumer
out=$(bazel-bin/consumer)
echo "$out"
grep -q "instructions, proved equal to the policy" <<<"$out" || { echo "FAIL: bazel consumer printed: $out" >&2; exit 1; }
echo "PASS: external Bazel workspace consumer"

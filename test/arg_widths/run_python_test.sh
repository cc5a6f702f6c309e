#!/bin/sh
# Runs a Python unittest file from the runfiles tree with the workspace root
# on the module path (so `from tools import ...` works).
set -eu
root="${TEST_SRCDIR:?}/${TEST_WORKSPACE:-sysfence}"
cd "$root"
PYTHONPATH="$root" PYTHONDONTWRITEBYTECODE=1 exec python3 "$1"

#!/usr/bin/env python3
"""List the functions the compile path runs, for the linker to place together.

Why: a process's resident set counts the pages of its executable that it
touches, and the kernel maps a file-backed page together with its
neighbours (fault-around: 64 KiB, or the whole large folio the page cache
holds). Linked in source order, the ~440 KB of functions that parse,
resolve, compile and prove a profile are spread over the whole 0.8-3 MB
.text, so every compile mapped nearly all of it. gold's
--section-ordering-file puts the sections listed here (-ffunction-sections
gives each function its own, .text.<symbol>) one after another, so the
compile path maps only its own pages. The order does not change what any
function computes: the compiled filters are byte-identical.

How: runs each workload below under valgrind's callgrind (instruction
counts are not needed, only which functions of the binary ran) and writes
one section name per line, the functions that most workloads run first (the
start-up and the pipeline every compile goes through), then those only the
larger profiles reach. A function missing from the list (new, renamed) is
only placed elsewhere; names that no longer exist are ignored by the linker.

Usage, from the repository root after
`bazel build -c opt //:sysfence //bench:scaling_bench`:
  tools/gen_hot_text.py [--out tools/hot_text.txt]
"""
import argparse
import collections
import os
import subprocess
import sys
import tempfile

BIN = "bazel-out/k8-opt/bin"
SYSFENCE = f"{BIN}/tools/sysfence"
SCALING = f"{BIN}/bench/scaling_bench"

# (binary, arguments): the CLI's compile of the built-in and generated
# profiles (with the proof, without it, libseccomp's semantics, another ABI)
# and the scaling benchmark's one-filter runs of every family.
WORKLOADS = [
    (SYSFENCE, ["--version"]),
    (SYSFENCE, ["compile", "default", "--arch", "x86_64", "-o", "{tmp}/out"]),
    (SYSFENCE, ["compile", "default", "--arch", "aarch64", "--no-verify", "-o", "{tmp}/out"]),
    (SYSFENCE, ["compile", "default", "--arch", "x86_64", "--format", "c", "-o", "{tmp}/out"]),
    (SYSFENCE, ["compile", "{scaling}", "--arch", "x86_64", "--arg-width", "64", "-o", "{tmp}/out"]),
    (SYSFENCE, ["compile", "{scaling}", "--arch", "x86_64", "--arg-width", "64", "--semantics", "libseccomp",
                "-o", "{tmp}/out"]),
] + [(SCALING, ["--peak", "sysfence", family, size])
     for family, size in [("allow", "10"), ("allow", "384"), ("spread", "10"), ("spread", "300"),
                          ("spread", "700"), ("one", "3"), ("one", "50"), ("one", "150"), ("one", "300"),
                          ("flags", "30"), ("flags", "100"), ("flags", "200")]]


def executed_functions(binary, args, tmp):
    """Symbols of `binary` that ran, from callgrind's profile of one run."""
    out = os.path.join(tmp, "callgrind.out")
    subprocess.run(["valgrind", "--tool=callgrind", "--demangle=no", "--compress-strings=no",
                    f"--callgrind-out-file={out}", binary] + args,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = os.path.realpath(binary)
    names, ob = set(), None
    with open(out) as f:
        for line in f:
            if line.startswith("ob="):
                ob = os.path.realpath(line[3:].strip()) if line[3:].strip() else None
            elif line.startswith("fn=") and ob == target:
                name = line[3:].strip().split("'")[0]  # callgrind marks recursion depth as 'N
                if name.startswith("0x") or name.startswith("("):
                    continue  # no symbol: startup stubs
                names.add(name)
    return names


def sections(symbol):
    """The names of the section that holds `symbol`'s code."""
    # GCC puts a function's unlikely blocks, symbol F.cold, in .text.unlikely.F,
    # and main and the static initializers in .text.startup.
    if symbol.endswith(".cold"):
        return [".text.unlikely." + symbol[: -len(".cold")]]
    if symbol == "main" or symbol.startswith("_GLOBAL__sub_I_"):
        return [".text.startup." + symbol]
    # The complete-object constructor and destructor (C1, D1) are aliases of
    # the base-object ones (C2, D2), whose name the section carries.
    alias = symbol.replace("C1E", "C2E").replace("D1E", "D2E")
    return [".text." + symbol] + ([".text." + alias] if alias != symbol else [])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="tools/hot_text.txt")
    args = parser.parse_args()
    runs = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        # The CLI workloads' generated profile: 50 allowed + 300 conditions on ioctl.
        scaling = os.path.join(tmp, "one300.json")
        with open(scaling, "w") as f:
            subprocess.run([SCALING, "--dump", "one", "300"], check=True, stdout=f)
        for binary, argv in WORKLOADS:
            argv = [a.format(tmp=tmp, scaling=scaling) for a in argv]
            print("gen_hot_text:", os.path.basename(binary), " ".join(argv), file=sys.stderr)
            runs.update(executed_functions(binary, argv, tmp))
    order = sorted(runs, key=lambda name: (-runs[name], name))
    with open(args.out, "w") as f:
        f.write("# Generated by tools/gen_hot_text.py: the compile path's functions, placed together by the\n"
                "# linker (--section-ordering-file). Regenerate after large changes; never hand-edited.\n")
        for name in order:
            for line in sections(name):
                f.write(line + "\n")
    print(f"gen_hot_text: {len(order)} functions -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()

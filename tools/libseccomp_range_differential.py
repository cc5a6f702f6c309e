#!/usr/bin/python3
"""Random differential of libseccomp's rule tree against sysfence's model.

Developer-only tool, NOT part of the product, the build or CI: it needs the
python3-seccomp binding of the system's libseccomp (Debian bookworm:
`apt-get install -y python3-seccomp`); run it with /usr/bin/python3.

Each case is a profile of 2 to 6 rules for one syscall, of a shape class:
  one-arg     one comparison of a2 each, every operator
  two-args    one to three comparisons each, of a0..a2, every operator
  uncond      as two-args, with unconditional rules among them
  socket      rules for socket(2) on a0..a2 (multiplexed through
              socketcall(2) on the ABIs that have it)
with operands and masks at the 32-bit word edges and random actions. The
same rules go to real libseccomp (one add_rule each, in order); sysfence
compiles the profile with --semantics libseccomp and must
  - refuse it (exit 2, "would refuse") exactly where libseccomp refuses, and
  - otherwise prove libseccomp's exported BPF equal to the profile (verify),
    or say in a note that the shape is not modelled ("does not model").

    /usr/bin/python3 tools/libseccomp_range_differential.py --sysfence bazel-bin/tools/sysfence \\
        --seed 1 --cases 500 --shape two-args --arch x86_64
"""
import argparse
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile

import seccomp

OPS = {"EQ": seccomp.EQ, "NE": seccomp.NE, "GT": seccomp.GT, "GE": seccomp.GE, "LT": seccomp.LT,
       "LE": seccomp.LE, "MASKED_EQ": seccomp.MASKED_EQ}
ACTS = [("SCMP_ACT_ALLOW", None, seccomp.ALLOW), ("SCMP_ACT_ERRNO", 2, seccomp.ERRNO(2)),
        ("SCMP_ACT_ERRNO", 3, seccomp.ERRNO(3)), ("SCMP_ACT_TRAP", None, seccomp.TRAP)]
VALUES = [0, 1, 2, 5, 128, 256, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x100000000, 0x100000002,
          0x1ffffffff, 0x200000000, 0x200000005, 0xffffffff00000000, 0xffffffff00000003, 0xfffffffffffffffe,
          0xffffffffffffffff]
SMALL = [0, 1, 2, 5, 128, 256, 0xffffffff, 0x100000000, 0x100000002]
MASKS = [0, 1, 3, 0xff, 0xf0f0, 0xffffffff, 0x100000000, 0x100000001, 0xffffffff00000000, 0x8000000000000000,
         0xffffffffffffffff]
ARCHES = {"x86_64": seccomp.Arch.X86_64, "x86": seccomp.Arch.X86, "aarch64": seccomp.Arch.AARCH64,
          "arm": seccomp.Arch.ARM, "s390x": seccomp.Arch.S390X, "s390": seccomp.Arch.S390,
          "ppc64le": seccomp.Arch.PPC64LE, "mips64el": seccomp.Arch.MIPSEL64, "riscv64": seccomp.Arch.RISCV64}
SHAPES = ["one-arg", "two-args", "uncond", "socket"]


def comparison(rng, index):
    op = rng.choice(list(OPS))
    if op == "MASKED_EQ":
        mask = rng.choice(MASKS)
        return (index, op, mask, rng.choice([mask, 0, 1, mask & 0xffffffff, rng.choice(VALUES)]))
    return (index, op, rng.choice(VALUES if rng.random() < 0.5 else SMALL), 0)


def random_rules(rng, shape):
    rules = []
    for _ in range(rng.randint(2, 6)):
        act = rng.choice(ACTS)
        if shape == "one-arg":
            args = [comparison(rng, 2)]
        elif shape == "uncond" and rng.random() < 0.25:
            args = []
        else:
            indexes = rng.sample([0, 1, 2], rng.randint(1, 3 if shape != "one-arg" else 1))
            args = [comparison(rng, i) for i in indexes]
        rules.append((act, args))
    return rules


def libseccomp_build(arch, name, rules, bpf):
    f = seccomp.SyscallFilter(seccomp.KILL_PROCESS)
    f.remove_arch(seccomp.Arch.NATIVE)
    f.add_arch(ARCHES[arch])
    try:
        for (_, _, action), conds in rules:
            f.add_rule(action, name, *[seccomp.Arg(i, OPS[op], v, v2) for i, op, v, v2 in conds])
    except Exception:  # libseccomp's EEXIST comes back as a RuntimeError
        sys.exit(3)
    with open(bpf, "wb") as out:
        f.export_bpf(out)
    sys.exit(0)


def one_case(rng, args, workdir, case):
    shape = args.shape
    name = "socket" if shape == "socket" else "read"
    rules = random_rules(rng, shape)
    profile = {"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": []}
    for (act, err, _), conds in rules:
        entry = {"names": [name], "action": act,
                 "args": [{"index": i, "value": v, "valueTwo": v2, "op": "SCMP_CMP_" + op} for i, op, v, v2 in conds]}
        if err:
            entry["errnoRet"] = err
        profile["syscalls"].append(entry)
    path = os.path.join(workdir, f"p{case}.json")
    with open(path, "w") as out:
        json.dump(profile, out)
    bpf = path[:-len(".json")] + ".bpf"
    # libseccomp 2.5.4's code generation loops on some trees: built in a child
    # process, given up after a while.
    child = multiprocessing.Process(target=libseccomp_build, args=(args.arch, name, rules, bpf))
    child.start()
    child.join(20)
    if child.is_alive():
        child.kill()
        child.join()
        return "libseccomp hangs"
    refused = child.exitcode == 3
    flags = ["--arch", args.arch, "--kernel", "6.1", "--semantics", "libseccomp"]
    out_json = path[:-len(".json")] + ".out.json"
    c = subprocess.run([args.sysfence, "compile", path, *flags, "--format", "json", "-o", out_json],
                       capture_output=True, text=True)
    if refused:
        return "refused" if c.returncode == 2 and "would refuse" in c.stderr else f"MISMATCH (refusal) {path}"
    if c.returncode != 0:
        return f"MISMATCH (sysfence refused) {path}: {c.stderr.strip()[:300]}"
    v = subprocess.run([args.sysfence, "verify", "--profile", path, "--bpf", bpf, *flags],
                       capture_output=True, text=True)
    if v.returncode == 0:
        return "equal"
    with open(out_json) as doc:
        notes = " ".join(json.load(doc).get("notes", []))
    if "does not model" in c.stderr + notes:
        return "not modelled"
    # Rules of one action are taken as written (profile/README.md, Known
    # limits): libseccomp's stale accumulator can still decide them.
    actions = set()
    for (act, err, _), conds in rules:
        if not conds:
            break
        actions.add((act, err))
    return "one action, as written" if len(actions) == 1 else f"MISMATCH {path}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sysfence", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=500)
    ap.add_argument("--shape", default="two-args", choices=SHAPES)
    ap.add_argument("--arch", default="x86_64", choices=sorted(ARCHES))
    ap.add_argument("--keep", help="a directory to keep the mismatching profiles in")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or tmp
        os.makedirs(workdir, exist_ok=True)
        for case in range(args.cases):
            outcome = one_case(rng, args, workdir, case)
            if outcome.startswith("MISMATCH"):
                print(outcome)
                outcome = "mismatch"
            counts[outcome] = counts.get(outcome, 0) + 1
    print(args.shape, args.arch, counts)
    return 1 if counts.get("mismatch") else 0


if __name__ == "__main__":
    sys.exit(main())

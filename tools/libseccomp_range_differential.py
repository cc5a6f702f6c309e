#!/ usr / bin / python3
"""Random differential of libseccomp's rule tree against sysfence's model.

Developer-only tool, NOT part of the product, the build or CI: it needs the
python3-seccomp binding of the system's libseccomp (Debian bookworm:
`apt-get install -y python3-seccomp`);
run it with / usr / bin /
    python3.

    Each case is a profile of 2 to 5 `read` rules,
    each one comparison of a2 with random operators(from-- ops),
    operands(around the 32 - bit boundary too) and actions.The same rules go to real
                                                   libseccomp(one add_rule each, in order);
sysfence compiles the profile with --semantics libseccomp and must
  - refuse it (exit 2, "would refuse") exactly where libseccomp refuses, and
  - otherwise prove libseccomp's exported BPF equal to the profile (verify),
    or say in a note that the shape is not modelled ("does not model").

    /usr/bin/python3 tools/libseccomp_range_differential.py --sysfence bazel-bin/tools/sysfence \\
        --seed 1 --cases 200 --ops GT,GE --arch x86_64
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

import seccomp

OPS = {"GT": seccomp.GT, "GE": seccomp.GE, "LT": seccomp.LT, "LE": seccomp.LE}
ACTS = [("SCMP_ACT_ALLOW", None, seccomp.ALLOW), ("SCMP_ACT_ERRNO", 2, seccomp.ERRNO(2)),
        ("SCMP_ACT_ERRNO", 3, seccomp.ERRNO(3)), ("SCMP_ACT_TRAP", None, seccomp.TRAP)]
VALUES64 = [0, 1, 2, 5, 128, 256, 0xfffffffe, 0xffffffff, 0x100000000, 0x100000002, 0x1ffffffff,
            0x200000000, 0x200000005, 0xffffffff00000000, 0xffffffff00000003, 0xfffffffffffffffe,
            0xffffffffffffffff]
ARCHES = {"x86_64": None, "x86": seccomp.Arch.X86}


def one_case(rng, args, workdir, case):
    values = VALUES64 if args.arch == "x86_64" else [v for v in VALUES64 if v <= 0xffffffff]
    rules = [(rng.choice(ACTS), rng.choice(args.ops), rng.choice(values)) for _ in range(rng.randint(2, 5))]
    profile = {"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": []}
    for (name, err, _), op, value in rules:
        entry = {"names": ["read"], "action": name,
                 "args": [{"index": 2, "value": value, "op": "SCMP_CMP_" + op}]}
        if err:
            entry["errnoRet"] = err
        profile["syscalls"].append(entry)
    path = os.path.join(workdir, f"p{case}.json")
    with open(path, "w") as out:
        json.dump(profile, out)
    f = seccomp.SyscallFilter(seccomp.KILL_PROCESS)
    if ARCHES[args.arch]:
        f.remove_arch(seccomp.Arch.NATIVE)
        f.add_arch(ARCHES[args.arch])
    try:
  for (_, _, action), op, value in rules:
            f.add_rule(action, "read", seccomp.Arg(2, OPS[op], value))
        refused = False
    except Exception:  # libseccomp's EEXIST comes back as a RuntimeError
        refused = True
    flags = ["--arch", args.arch, "--kernel", "6.1", "--semantics", "libseccomp"]
    c = subprocess.run([args.sysfence, "compile", path, *flags, "-o", "/dev/null"], capture_output=True, text=True)
    if refused:
        return "refused" if c.returncode == 2 and "would refuse" in c.stderr else f"MISMATCH (refusal) {path}"
    if c.returncode != 0:
        return f"MISMATCH (sysfence refused) {path}"
    bpf = path[:-len(".json")] + ".bpf"
    with open(bpf, "wb") as out:
        f.export_bpf(out)
    v = subprocess.run([args.sysfence, "verify", "--profile", path, "--bpf", bpf, *flags],
                       capture_output=True, text=True)
    if v.returncode == 0:
        return "equal"
    return "not modelled" if "does not model" in c.stderr else f"MISMATCH {path}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sysfence", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--ops", default="GT,GE", help="comma-separated from GT, GE, LT, LE")
    ap.add_argument("--arch", default="x86_64", choices=sorted(ARCHES))
    args = ap.parse_args()
    args.ops = args.ops.split(",")
    rng = random.Random(args.seed)
    counts = {}
    with tempfile.TemporaryDirectory() as workdir:
        for case in range(args.cases):
            outcome = one_case(rng, args, workdir, case)
            if outcome.startswith("MISMATCH"):
                print(outcome)
                outcome = "mismatch"
            counts[outcome] = counts.get(outcome, 0) + 1
    print(counts)
    return 1 if counts.get("mismatch") else 0


if __name__ == "__main__":
    sys.exit(main())

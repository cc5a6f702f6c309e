#!/usr/bin/env python3
"""Generates syscalls/generated/*.inc: the per-ABI syscall tables of sysfence.

Regenerate (from the repository root, on Debian bookworm with linux-source-6.12
installed and extracted, network access to the Debian archive for the cross
headers):

    python3 tools/gen_syscall_tables.py --kernel-src /work/src/linux-source-6.12

Options: --debs DIR reuses already downloaded linux-libc-dev-*-cross .deb files
(otherwise they are fetched with `apt-get download` into a temporary directory;
they are never installed), --out DIR (default syscalls/generated), --check
compares instead of writing (exit 1 when a committed file is stale),
--no-probe skips the x86_64 probe of the running kernel.

Where the numbers come from (one direction; any disagreement is fatal):
  1. The kernel's own syscall tables in Debian's linux-source-6.12: the *.tbl
     files with the ABI filters the kernel's build applies (see ABIS below and
     scripts/Makefile.asm-headers + arch/*/kernel/Makefile.syscalls, which are
     read, not assumed), plus the ARM-private calls (__ARM_NR_*) from
     arch/arm/include/uapi/asm/unistd.h.
  2. Cross-check: the UAPI headers of Debian's linux-libc-dev-<arch>-cross
     packages (kernel 6.1) evaluated with the host preprocessor and the ABI's
     predefined macros. Every __NR_* name in a 6.1 header must exist in the
     6.12 table with the same number (bias included).
  3. syscalls/data/post_6_12.txt: syscalls added after 6.12 (kernel version,
     number, ABIs). On an x86_64 host the running kernel is probed in a forked
     child (ENOSYS versus any other errno) for the facts it can confirm.
  4. syscalls/data/since.txt: the first kernel version of syscalls, checked
     mechanically: a syscall present in an ABI's 6.1 header must have a
     version <= 6.1, one absent from it must have a version > 6.1.

Output is deterministic: re-running with the same inputs reproduces the files
byte for byte (the header records input versions and sha256 sums, no dates).
"""

import argparse
import ctypes
import errno
import hashlib
import os
import platform
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = "tools/gen_syscall_tables.py"

X32_BIT = 0x40000000


class Abi:
    """One seccomp ABI: where its table comes from and how to cross-check it.

    tbl: the .tbl file (relative to the kernel source), or None when the arch's
         Makefile.syscalls decides (generic scripts/syscall.tbl users).
    abis: the ABI column values to keep; None keeps every line (the kernel's
          header generator runs without --abis for such files).
    generic_bits: for arches built from the generic table: 32 or 64 selects
          syscall_abis_32/64 (common,32 / common,64 + the arch's extras).
    bias: added to the table number (the header generator's --offset).
    cross: (Debian cross package suffix, preprocessor flags) or None.
    no_cross_pkg: for an ABI without cross headers, the package suffix that
          would hold them; the tool confirms with apt-cache that it does not exist.
    """

    def __init__(self, name, arch_dir, tbl=None, abis=None, generic_bits=None, bias=0,
                 cross=None, no_cross_pkg=None):
        self.name = name
        self.arch_dir = arch_dir
        self.tbl = tbl
        self.abis = abis
        self.generic_bits = generic_bits
        self.bias = bias
        self.cross = cross
        self.no_cross_pkg = no_cross_pkg  # the cross package that would fit, checked absent


# In ArchId order (syscalls/arch.h). Preprocessor flags run with -undef, so each
# ABI states exactly the macros its compiler would predefine that the headers test.
ABIS = [
    Abi("x86_64", "x86", "arch/x86/entry/syscalls/syscall_64.tbl", {"common", "64"},
        cross=("amd64", ["-D__x86_64__", "-D__LP64__"])),
    Abi("x32", "x86", "arch/x86/entry/syscalls/syscall_64.tbl", {"common", "x32"}, bias=X32_BIT,
        cross=("x32", ["-D__x86_64__", "-D__ILP32__"])),
    Abi("i386", "x86", "arch/x86/entry/syscalls/syscall_32.tbl", {"i386"},
        cross=("i386", ["-D__i386__"])),
    Abi("aarch64", "arm64", generic_bits=64,
        cross=("arm64", ["-D__aarch64__", "-D__LP64__", "-D__SIZEOF_POINTER__=8"])),
    # EABI: "common" only ("oabi" lines are the old ABI, which cannot use
    # seccomp filters: HAVE_ARCH_SECCOMP_FILTER needs AEABI && !OABI_COMPAT).
    Abi("arm", "arm", "arch/arm/tools/syscall.tbl", {"common"},
        cross=("armhf", ["-D__arm__", "-D__ARM_EABI__"])),
    Abi("riscv64", "riscv", generic_bits=64,
        cross=("riscv64", ["-D__riscv", "-D__riscv_xlen=64", "-D__LP64__", "-D__SIZEOF_POINTER__=8"])),
    # No riscv32 cross package exists; the riscv64 package's headers are the
    # same files and select the 32-bit numbers from the pointer size.
    Abi("riscv32", "riscv", generic_bits=32,
        cross=("riscv64", ["-D__riscv", "-D__riscv_xlen=32", "-D__SIZEOF_POINTER__=4"])),
    # powerpc: "spu" lines are the Cell SPU's table, not a seccomp ABI.
    Abi("ppc64le", "powerpc", "arch/powerpc/kernel/syscalls/syscall.tbl", {"common", "nospu", "64"},
        cross=("ppc64el", ["-D__powerpc__", "-D__powerpc64__", "-D__LP64__"])),
    Abi("ppc64", "powerpc", "arch/powerpc/kernel/syscalls/syscall.tbl", {"common", "nospu", "64"},
        cross=("ppc64", ["-D__powerpc__", "-D__powerpc64__", "-D__LP64__"])),
    Abi("ppc", "powerpc", "arch/powerpc/kernel/syscalls/syscall.tbl", {"common", "nospu", "32"},
        cross=("powerpc", ["-D__powerpc__"])),
    Abi("s390x", "s390", "arch/s390/kernel/syscalls/syscall.tbl", {"common", "64"},
        cross=("s390x", ["-D__s390__", "-D__s390x__", "-D__LP64__"])),
    # No s390 (31-bit) cross package; the s390x package carries unistd_32.h,
    # selected when __s390x__ is not defined.
    Abi("s390", "s390", "arch/s390/kernel/syscalls/syscall.tbl", {"common", "32"},
        cross=("s390x", ["-D__s390__"])),
    Abi("mips", "mips", "arch/mips/kernel/syscalls/syscall_o32.tbl", None, bias=4000,
        cross=("mips", ["-D__mips__", "-D_MIPS_SIM=1"])),
    Abi("mipsel", "mips", "arch/mips/kernel/syscalls/syscall_o32.tbl", None, bias=4000,
        cross=("mipsel", ["-D__mips__", "-D_MIPS_SIM=1"])),
    Abi("mips64", "mips", "arch/mips/kernel/syscalls/syscall_n64.tbl", None, bias=5000,
        cross=("mips64", ["-D__mips__", "-D_MIPS_SIM=3", "-D__LP64__"])),
    Abi("mips64el", "mips", "arch/mips/kernel/syscalls/syscall_n64.tbl", None, bias=5000,
        cross=("mips64el", ["-D__mips__", "-D_MIPS_SIM=3", "-D__LP64__"])),
    Abi("mips64n32", "mips", "arch/mips/kernel/syscalls/syscall_n32.tbl", None, bias=6000,
        cross=("mipsn32", ["-D__mips__", "-D_MIPS_SIM=2"])),
    Abi("mipsel64n32", "mips", "arch/mips/kernel/syscalls/syscall_n32.tbl", None, bias=6000,
        cross=("mipsn32el", ["-D__mips__", "-D_MIPS_SIM=2"])),
    Abi("loongarch64", "loongarch", generic_bits=64, no_cross_pkg="loong64"),
    Abi("parisc", "parisc", "arch/parisc/kernel/syscalls/syscall.tbl", {"common", "32"},
        cross=("hppa", ["-D__hppa__"])),
    # No hppa64 cross package; the hppa package carries unistd_64.h, selected by __LP64__.
    Abi("parisc64", "parisc", "arch/parisc/kernel/syscalls/syscall.tbl", {"common", "64"},
        cross=("hppa", ["-D__hppa__", "-D__LP64__"])),
    Abi("m68k", "m68k", "arch/m68k/kernel/syscalls/syscall.tbl", None,
        cross=("m68k", ["-D__m68k__"])),
    Abi("sh", "sh", "arch/sh/kernel/syscalls/syscall.tbl", None,
        cross=("sh4", ["-D__sh__"])),
    Abi("sheb", "sh", "arch/sh/kernel/syscalls/syscall.tbl", None,
        cross=("sh4", ["-D__sh__"])),
    Abi("csky", "csky", generic_bits=32, no_cross_pkg="csky"),
    Abi("xtensa", "xtensa", "arch/xtensa/kernel/syscalls/syscall.tbl", None, no_cross_pkg="xtensa"),
]

# Names that share a number with a table entry. Only where the kernel truly has
# two names for one number; each alias resolves to the table's number and never
# becomes the canonical name for it.
ALIASES = {
    # arch/arm/include/uapi/asm/unistd.h: #define __NR_sync_file_range2
    # __NR_arm_sync_file_range. The table names it arm_sync_file_range; glibc
    # and profiles use either spelling.
    "arm": [("sync_file_range2", "arm_sync_file_range")],
    # arch/csky/include/uapi/asm/unistd.h: #define __NR_sync_file_range2 84 and
    # #undef __NR_sync_file_range; the generic table calls 84 sync_file_range
    # but csky's entry point is sync_file_range2's (argument order differs).
    "csky": [("sync_file_range2", "sync_file_range")],
}

# Names a 6.1 header defines that the 6.12 table dropped on purpose. The
# cross-check fails on any other disagreement, and on an entry here that no
# longer matches (so the list cannot go stale).
KNOWN_REMOVALS = {
    # parisc commit da3680f564bd ("parisc: _llseek syscall is only available for
    # 32-bit userspace"): 140 became a "32" line. No 64-bit parisc userspace exists.
    ("parisc64", "_llseek"): 140,
}

# The release that merged each newer port: nothing is older than its ABI.
ARCH_FLOOR = {
    "x32": (3, 4, 0),
    "aarch64": (3, 7, 0),
    "riscv64": (4, 15, 0),
    "riscv32": (4, 15, 0),
    "csky": (4, 20, 0),
    "loongarch64": (5, 19, 0),
}

# ARM-private calls outside the table: __ARM_NR_BASE (0x0f0000 on EABI) + n.
ARM_PRIVATE_RE = re.compile(r"^#define\s+__ARM_NR_(\w+)\s+\(__ARM_NR_BASE\s*\+\s*(\d+)\)", re.M)
ARM_PRIVATE_BASE = 0x0F0000

# Macros in the UAPI headers that are not syscalls.
NOT_SYSCALLS = {
    "__NR_syscalls", "__NR_Linux", "__NR_Linux_syscalls", "__NR_SYSCALL_BASE",
    "__NR_OABI_SYSCALL_BASE", "__NR_SYSCALL_MASK", "__NR_arch_specific_syscall",
    "__ARM_NR_BASE", "__NR_O32_Linux", "__NR_O32_Linux_syscalls", "__NR_64_Linux",
    "__NR_64_Linux_syscalls", "__NR_N32_Linux", "__NR_N32_Linux_syscalls",
}


def fatal(msg):
    sys.stderr.write(f"gen_syscall_tables: error: {msg}\n")
    sys.exit(1)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def parse_version(text, where):
    m = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not m:
        fatal(f"{where}: bad kernel version {text!r}")
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def vstr(v):
    return f"{v[0]}.{v[1]}" + (f".{v[2]}" if v[2] else "")


# ---------------------------------------------------------------------------
# Kernel sources
# ---------------------------------------------------------------------------

def read_tbl(path):
    """Lines of a .tbl file as (number, abi, name), in file order."""
    out = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            if len(fields) < 3 or not fields[0].isdigit():
                fatal(f"{path}:{lineno}: cannot parse {line!r}")
            out.append((int(fields[0]), fields[1], fields[2]))
    return out


def generic_abi_config(ksrc, abi):
    """The ABI list and table the kernel build uses for a generic-table arch:
    scripts/Makefile.asm-headers sets syscall_abis_32/64 to common,32 /
    common,64 and the table to scripts/syscall.tbl; the arch's
    kernel/Makefile.syscalls may add ABIs and override the table."""
    base = os.path.join(ksrc, "scripts/Makefile.asm-headers")
    text = open(base).read()
    if "syscall_abis_32  += common,32" not in text or "syscall_abis_64  += common,64" not in text:
        fatal(f"{base}: the default syscall_abis_32/64 are not common,32 / common,64 any more")
    abis = {"common", str(abi.generic_bits)}
    tbl = "scripts/syscall.tbl"
    mk = os.path.join(ksrc, "arch", abi.arch_dir, "kernel/Makefile.syscalls")
    if not os.path.exists(mk):
        fatal(f"{mk}: missing (expected for a generic-table arch)")
    for line in open(mk):
        line = line.split("#", 1)[0].strip()
        m = re.fullmatch(r"syscall_abis_(32|64)\s*\+=\s*(.*)", line)
        if m:
            if int(m.group(1)) == abi.generic_bits:
                abis.update(m.group(2).replace(",", " ").split())
            continue
        m = re.fullmatch(r"syscalltbl\s*=\s*(\S+)", line)
        if m:
            tbl = m.group(1).replace("%", str(abi.generic_bits))
            continue
        if line:
            fatal(f"{mk}: unexpected line {line!r}")
    return tbl, abis


def build_table(ksrc, abi):
    """{name: number (bias included)} for one ABI from the 6.12 sources."""
    if abi.generic_bits is not None:
        tbl, abis = generic_abi_config(ksrc, abi)
    else:
        tbl, abis = abi.tbl, abi.abis
    path = os.path.join(ksrc, tbl)
    table = {}
    by_nr = {}
    for nr, col, name in read_tbl(path):
        if abis is not None and col not in abis:
            continue
        full = nr + abi.bias
        if name in table:
            fatal(f"{abi.name}: {name} appears twice in {tbl} ({table[name]} and {full})")
        if full in by_nr:
            fatal(f"{abi.name}: number {full} has two names in {tbl}: {by_nr[full]} and {name}")
        table[name] = full
        by_nr[full] = name
    inputs = [tbl]
    if abi.generic_bits is not None:
        inputs += ["scripts/Makefile.asm-headers", f"arch/{abi.arch_dir}/kernel/Makefile.syscalls"]
    if abi.name == "arm":
        hdr = "arch/arm/include/uapi/asm/unistd.h"
        found = ARM_PRIVATE_RE.findall(open(os.path.join(ksrc, hdr)).read())
        names = {n for n, _ in found}
        want = {"breakpoint", "cacheflush", "usr26", "usr32", "set_tls", "get_tls"}
        if names != want:
            fatal(f"{hdr}: ARM-private calls are {sorted(names)}, expected {sorted(want)}")
        for name, off in found:
            full = ARM_PRIVATE_BASE + int(off)
            if name in table or full in by_nr:
                fatal(f"arm: private call {name} ({full:#x}) collides with the table")
            table[name] = full
            by_nr[full] = name
        inputs.append(hdr)
    return table, sorted(abis) if abis is not None else None, inputs


def check_arm_compat(ksrc, arm_table):
    """arch/arm64/tools/syscall_32.tbl (AArch32 tasks on arm64) must agree with
    the arm table: same names at the same numbers."""
    compat = {name: nr for nr, _, name in read_tbl(os.path.join(ksrc, "arch/arm64/tools/syscall_32.tbl"))}
    for name, nr in compat.items():
        if arm_table.get(name) != nr:
            fatal(f"arm64 compat table has {name}={nr}, arm table has {arm_table.get(name)}")


def check_seccomp_support(ksrc):
    """Every ABI's arch must select HAVE_ARCH_SECCOMP_FILTER in 6.12."""
    for d in sorted({a.arch_dir for a in ABIS}):
        text = open(os.path.join(ksrc, "arch", d, "Kconfig")).read()
        if not re.search(r"select HAVE_ARCH_SECCOMP_FILTER\b", text):
            fatal(f"arch/{d}/Kconfig does not select HAVE_ARCH_SECCOMP_FILTER")


# ---------------------------------------------------------------------------
# Cross headers (kernel 6.1)
# ---------------------------------------------------------------------------

def fetch_debs(pkgs, debdir):
    """Downloads linux-libc-dev-<p>-cross (never installs it)."""
    for p in pkgs:
        name = f"linux-libc-dev-{p}-cross"
        if any(f.startswith(name + "_") and f.endswith(".deb") for f in os.listdir(debdir)):
            continue
        r = subprocess.run(["apt-get", "download", "-q", name], cwd=debdir,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            fatal(f"apt-get download {name} failed: {r.stderr.strip()}")


def check_no_candidate(pkg):
    """Confirms the archive has no linux-libc-dev-<pkg>-cross (so the ABI's
    missing cross-check is a fact of the archive, not an omission)."""
    name = f"linux-libc-dev-{pkg}-cross"
    r = subprocess.run(["apt-cache", "policy", name], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True)
    m = re.search(r"Candidate:\s*(\S+)", r.stdout)
    if m and m.group(1) != "(none)":
        fatal(f"{name} exists now (candidate {m.group(1)}): add it as a cross-check")
    return name


def find_deb(debdir, pkg):
    name = f"linux-libc-dev-{pkg}-cross"
    found = sorted(f for f in os.listdir(debdir) if f.startswith(name + "_") and f.endswith(".deb"))
    if len(found) != 1:
        fatal(f"{debdir}: expected one {name}_*.deb, found {found}")
    return os.path.join(debdir, found[0])


def deb_version(deb):
    return subprocess.run(["dpkg-deb", "-f", deb, "Version"], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()


def extract_include_dir(deb, workdir):
    dest = os.path.join(workdir, os.path.basename(deb)[:-4])
    if not os.path.isdir(dest):
        subprocess.run(["dpkg-deb", "-x", deb, dest], check=True)
    usr = os.path.join(dest, "usr")
    triplets = [t for t in os.listdir(usr) if os.path.isdir(os.path.join(usr, t, "include", "asm"))]
    if len(triplets) != 1:
        fatal(f"{deb}: cannot find usr/<triplet>/include/asm")
    return os.path.join(usr, triplets[0], "include")


SAFE_EXPR = re.compile(r"[0-9a-fA-FxXuUlL()+\-*<>| \t]*")


def eval_c_int(expr, where):
    """Evaluates a preprocessed integer constant expression (+, -, <<, |, ...)."""
    if not SAFE_EXPR.fullmatch(expr):
        fatal(f"{where}: unexpected expression {expr!r}")
    py = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b", r"\1", expr)
    py = re.sub(r"\b0+(\d)", r"\1", py)  # no octal constants occur; keep Python happy
    try:
        return int(eval(py, {"__builtins__": {}}, {}))
    except Exception as e:  # noqa: BLE001 - reported with context
        fatal(f"{where}: cannot evaluate {expr!r}: {e}")


def header_numbers(incdir, flags, where):
    """{name: number} of every __NR_* / __ARM_NR_* the header defines."""
    base = ["cpp", "-undef", "-nostdinc", "-I", incdir] + flags
    dm = subprocess.run(base + ["-dM", "-include", "asm/unistd.h", "/dev/null"],
                        check=True, stdout=subprocess.PIPE, text=True).stdout
    macros = sorted({m for m in re.findall(r"^#define (__(?:ARM_)?NR_\w+)", dm, re.M)} - NOT_SYSCALLS)
    macros = [m for m in macros if not m.startswith("__NR3264_")]
    # The name goes in a string literal, which the preprocessor leaves alone.
    src = "".join(f'"{m}" {m}\n' for m in macros)
    pp = subprocess.run(base + ["-P", "-include", "asm/unistd.h", "-"], input=src, check=True,
                        stdout=subprocess.PIPE, text=True).stdout
    out = {}
    for line in pp.splitlines():
        m = re.fullmatch(r'"(__(?:ARM_)?NR_\w+)" (.*)', line.strip())
        if not m:
            continue
        macro, expr = m.groups()
        name = macro[len("__ARM_NR_"):] if macro.startswith("__ARM_NR_") else macro[len("__NR_"):]
        out[name] = eval_c_int(expr.strip(), f"{where}: {macro}")
    if len(out) != len(macros):
        fatal(f"{where}: evaluated {len(out)} of {len(macros)} macros")
    if len(out) < 250:
        fatal(f"{where}: only {len(out)} syscalls: wrong ABI macros?")
    return out


def cross_check(abi, table, aliases, hdr):
    """Every name in the 6.1 header exists in the 6.12 table with the same number."""
    for (abi_name, name), nr in KNOWN_REMOVALS.items():
        if abi_name == abi.name and (hdr.get(name) != nr or name in table):
            fatal(f"{abi.name}: KNOWN_REMOVALS entry {name}={nr} no longer matches; update the tool")
    for name, nr in sorted(hdr.items()):
        if KNOWN_REMOVALS.get((abi.name, name)) == nr:
            continue
        if name in table:
            if table[name] != nr:
                fatal(f"{abi.name}: 6.1 header has {name}={nr}, 6.12 table has {table[name]}")
        elif name in aliases:
            if table[aliases[name]] != nr:
                fatal(f"{abi.name}: 6.1 header alias {name}={nr}, table {aliases[name]}={table[aliases[name]]}")
        else:
            fatal(f"{abi.name}: 6.1 header has {name}={nr}, missing from the 6.12 table")


# ---------------------------------------------------------------------------
# Fact files
# ---------------------------------------------------------------------------

def read_post_6_12(path, abi_names):
    """Lines: NAME NUMBER VERSION ABIS [# evidence]. NUMBER is the table number
    before the ABI's bias; ABIS is "all" or a comma list."""
    facts = []
    for lineno, raw in enumerate(open(path), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        f = line.split()
        where = f"{path}:{lineno}"
        if len(f) != 4 or not f[1].isdigit():
            fatal(f"{where}: expected NAME NUMBER VERSION ABIS")
        abis = abi_names if f[3] == "all" else f[3].split(",")
        for a in abis:
            if a not in abi_names:
                fatal(f"{where}: unknown ABI {a!r}")
        facts.append((f[0], int(f[1]), parse_version(f[2], where), abis))
    return facts


def read_since(path, abi_names):
    """Lines: NAME VERSION [ABI=VERSION ...]: the first kernel with the syscall,
    with per-ABI overrides where an arch got it later."""
    since = {}
    for lineno, raw in enumerate(open(path), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        f = line.split()
        where = f"{path}:{lineno}"
        if f[0] in since:
            fatal(f"{where}: {f[0]} listed twice")
        entry = {"*": parse_version(f[1], where)}  # (0, 0, 0): unknown
        for ov in f[2:]:
            a, _, v = ov.partition("=")
            if a not in abi_names:
                fatal(f"{where}: unknown ABI {a!r}")
            entry[a] = parse_version(v, where)
        since[f[0]] = entry
    return since


def probe_x86_64(facts, table):
    """On an x86_64 host, checks the post-6.12 x86_64 facts against the running
    kernel: each syscall at least as old as the kernel must not be ENOSYS, and
    the first number past the newest fact must be ENOSYS when the kernel is not
    newer than that fact. Runs every call in a forked child with invalid
    arguments (fd -1, NULL pointers) so nothing happens."""
    if platform.machine() != "x86_64":
        return ["probe skipped: host is not x86_64"]
    rel = platform.release()
    m = re.match(r"(\d+)\.(\d+)", rel)
    running = (int(m.group(1)), int(m.group(2)), 0)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long

    def errno_of(nr):
        pid = os.fork()
        if pid == 0:
            ctypes.set_errno(0)
            r = libc.syscall(ctypes.c_long(nr), ctypes.c_long(-1), ctypes.c_long(0), ctypes.c_long(0),
                             ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0))
            os._exit(min(ctypes.get_errno(), 255) if r < 0 else 0)
        _, status = os.waitpid(pid, 0)
        return os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1

    notes = []
    newest = max(v for _, _, v, _ in facts)
    for name, nr, ver, abis in facts:
        if "x86_64" not in abis:
            continue
        e = errno_of(nr)
        if ver[:2] <= running[:2]:
            if e == errno.ENOSYS:
                fatal(f"probe: {name} ({nr}) says since {vstr(ver)}, but kernel {rel} returns ENOSYS")
            notes.append(f"probe on {rel}: {name} ({nr}) exists (errno {e})")
        elif e != errno.ENOSYS:
            fatal(f"probe: {name} ({nr}) says since {vstr(ver)}, but kernel {rel} knows it (errno {e})")
    past = max(table.values()) + 1
    if running[:2] <= newest[:2]:
        e = errno_of(past)
        if e != errno.ENOSYS:
            fatal(f"probe: number {past} exists on {rel} (errno {e}) but no fact names it")
        notes.append(f"probe on {rel}: {past} is ENOSYS (no syscall past the facts)")
    return notes


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

def c_version(v):
    return "{%d, %d, %d}" % v if v else "{0, 0, 0}"


def render(abi, entries, aliases, provenance):
    """entries: [(nr, name, since)] sorted by number. Included by
    syscalls/table.cc inside namespace sysfence::syscalls, where Syscall and
    SyscallAlias are declared."""
    ns = "abi_" + abi.name
    lines = [
        f"// generated by {TOOL}, do not edit.",
        f"// ABI: {abi.name}. Regenerate: python3 {TOOL} --kernel-src DIR",
    ]
    lines += [f"// {p}" for p in provenance]
    lines += [
        f"namespace {ns} {{",
        "// {name, number as seccomp_data.nr carries it (bias included), first kernel",
        "// version ({0, 0, 0}: unknown)}, sorted by number; each number appears once.",
        f"inline constexpr std::array<Syscall, {len(entries)}> kEntries{{{{",
    ]
    for nr, name, since in entries:
        lines.append(f'    {{"{name}", {nr}U, {c_version(since)}}},')
    lines.append("}};")
    by_name = sorted(range(len(entries)), key=lambda i: entries[i][1])
    lines.append("// Indices into kEntries in name order (binary search by name).")
    lines.append(f"inline constexpr std::array<uint16_t, {len(by_name)}> kByName{{{{")
    for k in range(0, len(by_name), 16):
        lines.append("    " + " ".join(f"{i}," for i in by_name[k:k + 16]))
    lines.append("}};")
    lines.append("// Documented aliases {alias, canonical name}, sorted by alias (see ALIASES in the tool).")
    lines.append(f"inline constexpr std::array<SyscallAlias, {len(aliases)}> kAliases{{{{")
    for alias, canon in sorted(aliases.items()):
        lines.append(f'    {{"{alias}", "{canon}"}},')
    lines.append("}};")
    lines.append(f"}}  // namespace {ns}")
    return "\n".join(lines) + "\n"


ARCH_IDS = {
    "x86_64": "kX86_64", "x32": "kX32", "i386": "kI386", "aarch64": "kAarch64", "arm": "kArm",
    "riscv64": "kRiscv64", "riscv32": "kRiscv32", "ppc64le": "kPpc64le", "ppc64": "kPpc64", "ppc": "kPpc",
    "s390x": "kS390x", "s390": "kS390", "mips": "kMips", "mipsel": "kMipsel", "mips64": "kMips64",
    "mips64el": "kMips64el", "mips64n32": "kMips64n32", "mipsel64n32": "kMipsel64n32",
    "loongarch64": "kLoongarch64", "parisc": "kParisc", "parisc64": "kParisc64", "m68k": "kM68k",
    "sh": "kSh", "sheb": "kSheb", "csky": "kCsky", "xtensa": "kXtensa",
}


def render_registry():
    """syscalls/generated_tables.h: includes every table, lists them in ArchId order."""
    lines = [
        f"// generated by {TOOL}, do not edit.",
        "// Generated-table registry: includes every syscalls/generated/<abi>.inc and",
        "// lists the tables in ArchId order. Internal to the syscalls package.",
        "#pragma once",
        "",
        "#include <array>",
        "#include <cstdint>",
        "",
        '#include "syscalls/table.h"',
        "",
        "namespace sysfence::syscalls::generated {",
        "",
    ]
    lines += [f'#include "syscalls/generated/{a.name}.inc"' for a in ABIS]
    lines += ["", "// In ArchId order (checked by a static_assert in table.cc).",
              "inline constexpr std::array<Table, kArchCount> kTables{{"]
    for a in ABIS:
        n = a.name
        lines.append(f"    Table(ArchId::{ARCH_IDS[n]}, abi_{n}::kEntries, abi_{n}::kByName, abi_{n}::kAliases),")
    lines += ["}};", "", "}  // namespace sysfence::syscalls::generated", ""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel-src", required=True, help="extracted linux-source-6.12 tree")
    ap.add_argument("--debs", help="directory with (or for) linux-libc-dev-*-cross .deb files")
    ap.add_argument("--out", default=os.path.join(REPO, "syscalls/generated"))
    ap.add_argument("--data", default=os.path.join(REPO, "syscalls/data"))
    ap.add_argument("--check", action="store_true", help="compare with the committed files")
    ap.add_argument("--no-probe", action="store_true")
    args = ap.parse_args()
    ksrc = args.kernel_src

    abi_names = [a.name for a in ABIS]
    check_seccomp_support(ksrc)
    ksrc_version = "unknown"
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "linux-source-6.12"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if r.returncode == 0:
        ksrc_version = r.stdout.strip()
    makefile = open(os.path.join(ksrc, "Makefile")).read()
    kv = "%s.%s.%s" % tuple(re.search(rf"^{k} = (\d+)", makefile, re.M).group(1)
                            for k in ("VERSION", "PATCHLEVEL", "SUBLEVEL"))
    if not kv.startswith("6.12."):
        fatal(f"{ksrc} is kernel {kv}, expected 6.12.x")

    post = read_post_6_12(os.path.join(args.data, "post_6_12.txt"), abi_names)
    since = read_since(os.path.join(args.data, "since.txt"), abi_names)
    all_names = set()
    for name, _, ver, _ in post:
        if ver <= (6, 12, 999):
            fatal(f"post_6_12.txt: {name} has version {vstr(ver)}, not after 6.12")

    tmp = tempfile.TemporaryDirectory(prefix="sysfence-gen-")
    debdir = args.debs or tmp.name
    pkgs = sorted({a.cross[0] for a in ABIS if a.cross})
    fetch_debs(pkgs, debdir)

    outputs = {}
    probe_notes = []
    for abi in ABIS:
        table, abis, inputs = build_table(ksrc, abi)
        if abi.name == "arm":
            check_arm_compat(ksrc, table)
        # Syscalls after 6.12: one number for every ABI (plus its bias).
        post_names = set()
        for name, nr, ver, fabis in post:
            if abi.name not in fabis:
                continue
            full = nr + abi.bias
            if name in table or full in table.values():
                fatal(f"{abi.name}: post-6.12 {name}={full} is already in the 6.12 table")
            table[name] = full
            post_names.add(name)
        aliases = dict(ALIASES.get(abi.name, []))
        for alias, canon in aliases.items():
            if canon not in table or alias in table:
                fatal(f"{abi.name}: alias {alias} -> {canon} does not fit the table")

        provenance = [f"Source: Debian linux-source-6.12 {ksrc_version} (kernel {kv}):"]
        for inp in inputs:
            provenance.append(f"  {inp} sha256 {sha256_file(os.path.join(ksrc, inp))}")
        provenance.append(f"  ABI filter: {','.join(abis) if abis else 'every line'}"
                          + (f"; number bias {abi.bias:#x}" if abi.bias else ""))

        hdr = None
        if abi.cross:
            deb = find_deb(debdir, abi.cross[0])
            inc = extract_include_dir(deb, tmp.name)
            hdr = header_numbers(inc, abi.cross[1], f"{abi.name} ({os.path.basename(deb)})")
            cross_check(abi, table, aliases, hdr)
            provenance.append(f"Cross-checked against {os.path.basename(deb)} "
                              f"(version {deb_version(deb)}, sha256 {sha256_file(deb)}),")
            provenance.append(f"  asm/unistd.h evaluated with cpp -undef {' '.join(abi.cross[1])}:"
                              f" {len(hdr)} names agree.")
        else:
            missing = check_no_candidate(abi.no_cross_pkg)
            provenance.append(f"Not cross-checked: apt-cache policy shows no candidate for {missing}.")
        post_path = os.path.join(args.data, "post_6_12.txt")
        since_path = os.path.join(args.data, "since.txt")
        provenance.append(f"Post-6.12 facts: syscalls/data/post_6_12.txt sha256 {sha256_file(post_path)}")
        provenance.append(f"First versions: syscalls/data/since.txt sha256 {sha256_file(since_path)}")

        entries = []
        for name, nr in table.items():
            ver = None
            if name in post_names:
                ver = next(v for n, _, v, a in post if n == name and abi.name in a)
            elif name in since:
                ver = since[name].get(abi.name, since[name]["*"])
                if ver == (0, 0, 0):
                    ver = None
                elif abi.name in ARCH_FLOOR:
                    ver = max(ver, ARCH_FLOOR[abi.name])
            if hdr is not None and ver is not None:
                in_61 = name in hdr
                if in_61 and ver > (6, 1, 999):
                    fatal(f"{abi.name}: {name} is in the 6.1 header but since.txt says {vstr(ver)}")
                if not in_61 and ver <= (6, 1, 999):
                    fatal(f"{abi.name}: {name} is not in the 6.1 header but since.txt says {vstr(ver)}")
            if hdr is not None and ver is None and name not in hdr:
                fatal(f"{abi.name}: {name} is newer than 6.1 (absent from the header) "
                      "but has no version in since.txt")
            entries.append((nr, name, ver))
        entries.sort()
        if abi.name == "x86_64" and not args.no_probe:
            probe_notes = probe_x86_64(post, table)
        outputs[abi.name] = (abi, entries, aliases, provenance)
        all_names.update(table)

    unused = sorted(set(since) - all_names)
    if unused:
        fatal(f"since.txt names syscalls no ABI has: {', '.join(unused)}")

    for note in probe_notes:
        sys.stderr.write(note + "\n")

    stale = []
    os.makedirs(args.out, exist_ok=True)
    files = [(os.path.join(args.out, f"{name}.inc"), render(abi, entries, aliases, provenance))
             for name, (abi, entries, aliases, provenance) in outputs.items()]
    files.append((os.path.join(os.path.dirname(os.path.abspath(args.out)), "generated_tables.h"),
                  render_registry()))
    for path, text in files:
        old = open(path).read() if os.path.exists(path) else None
        if old == text:
            continue
        if args.check:
            stale.append(path)
        else:
            with open(path, "w") as f:
                f.write(text)
            sys.stderr.write(f"wrote {path}\n")
    if stale:
        fatal("stale generated files: " + ", ".join(stale))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Builds seccomp filters with the REAL libseccomp, the way moby + runc do.

Developer-only tool: it is NOT part of the product, the build or CI. It needs
the python3-seccomp binding of the system's libseccomp (Debian bookworm:
`apt-get install -y python3-seccomp`, libseccomp 2.5.4, the version runc and
Docker link); run it with /usr/bin/python3, whose site-packages hold the
binding. Its outputs are committed under test/verify/data/libseccomp/ and are
what //test/verify:libseccomp_interop_test checks sysfence against; CI never
runs this script. Regenerate (from the repository root) with:

    /usr/bin/python3 tools/gen_libseccomp_fixtures.py --out test/verify/data/libseccomp

For each profile (profile/data/docker-default.json, containers-common.json,
and sysfence's own test profiles in test/verify/data/libseccomp/profiles/:
rule-conflicts.json, several rules for one syscall and MASKED_EQ datums with
bits outside the mask; range-order.json, > and >= rules on one argument whose
order libseccomp's tree decides; multiplex-stale.json, socket and SysV IPC
rules with and without conditions plus rules on socketcall/ipc themselves,
and rules whose filter compares a stale accumulator) and each native
architecture (for sysfence's own profiles also 32-bit ppc and mipsel) it
  1. resolves the Docker/moby profile as moby's setupSeccomp does on that host:
     the archMap entry of the native arch plus its subArchitectures;
     includes/excludes by arches (moby's spelling of the native arch), caps
     (Docker's 14 default capabilities) and minKernel (kernel 6.1);
  2. builds the filter as runc's InitSeccomp/matchCall does:
     SyscallFilter(default action with defaultErrnoRet, EPERM without),
     add_arch for the sub-architectures, one add_rule per name per rule; an
     entry that repeats an argument index becomes one rule per condition;
     names libseccomp does not know are skipped; a rule whose action equals
     the default action is skipped (libseccomp refuses it with EACCES, runc
     skips it first); libseccomp's default attributes are left alone
     (bad-arch action SCMP_ACT_KILL = KILL_THREAD, optimize level 1);
  3. exports the BPF (export_bpf: raw struct sock_filter in the byte order of
     the target, so big-endian for s390x) for three variants:
       <profile>.<arch>.libseccomp.bpf       libseccomp defaults
       <profile>.<arch>.libseccomp-tree.bpf  SCMP_FLTATR_CTL_OPTIMIZE = 2
                                             (binary tree)
       <profile>.<arch>.runc.bpf             runc's ENOSYS stub (written
                                             here, see enosys_stub) in front
                                             of the libseccomp-defaults filter
     and, with --pfc, libseccomp's own pseudo-code of the default variant
     (<profile>.<arch>.libseccomp.pfc, not committed) for reading them;
  4. writes MANIFEST.md: every file with its instruction count and sha256, the
     names each ABI skipped and the largest syscall number per ABI.

A filter for a foreign architecture is built by removing the host's native
ABI and then adding the target's ABIs. Names still resolve through the host's
table, but libseccomp 2.5 keeps a pseudo number (__PNR_*) for every name
it knows on any arch and translates it per ABI, so each ABI gets exactly
the numbers a native build would; the ABI order (the new native one first,
then the sub-architectures in archMap order) is also what runc on that
host produces.
"""

import argparse
import ctypes
import hashlib
import json
import os
import struct
import subprocess
import sys

import seccomp

# Docker's default capability set (moby oci/caps DefaultCapabilities).
DOCKER_DEFAULT_CAPS = frozenset([
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
])
KERNEL = (6, 1)

# Native architectures: sysfence's name, libseccomp's token name, moby's
# spellings of the native arch (matched against includes/excludes "arches"),
# byte order of the raw file, errno values runc uses on that host.
ARCHES = [
    # sysfence    SCMP_ARCH_*    moby names          endian  EPERM ENOSYS
    ("x86_64",   "X86_64",   ("amd64",),             "<", 1, 38),
    ("aarch64",  "AARCH64",  ("arm64",),             "<", 1, 38),
    ("riscv64",  "RISCV64",  ("riscv64",),           "<", 1, 38),
    ("s390x",    "S390X",    ("s390x",),             ">", 1, 38),
    ("ppc64le",  "PPC64LE",  ("ppc64le",),           "<", 1, 38),
    ("mips64el", "MIPSEL64", ("mipsel64",),          "<", 1, 89),
]
# Native architectures built for sysfence's own test profiles only (Docker's
# and containers-common's archMaps have no such native entry).
OWN_ARCHES = ARCHES + [
    ("ppc",      "PPC",      ("ppc",),               ">", 1, 38),
    ("mipsel",   "MIPSEL",   ("mipsle",),            "<", 1, 89),
]

# AUDIT_ARCH_* values (seccomp_data.arch) of the ABIs, and x32's number bias.
AUDIT_ARCH = {
    "X86_64": 0xC000003E, "X86": 0x40000003, "X32": 0xC000003E,
    "AARCH64": 0xC00000B7, "ARM": 0x40000028,
    "RISCV64": 0xC00000F3,
    "S390X": 0x80000016, "S390": 0x00000016,
    "PPC64LE": 0xC0000015, "PPC": 0x00000014,
    "MIPSEL64": 0xC0000008, "MIPSEL": 0x40000008, "MIPSEL64N32": 0xE0000008,
}
X32_SYSCALL_BIT = 0x40000000

ERRNO_NAMES = {"EPERM": 1, "ENOENT": 2, "EINVAL": 22, "ENOSYS": 38, "EACCES": 13}
ERRNO_NAMES_MIPS = dict(ERRNO_NAMES, ENOSYS=89)

OPS = {
    "SCMP_CMP_NE": seccomp.NE, "SCMP_CMP_LT": seccomp.LT, "SCMP_CMP_LE": seccomp.LE,
    "SCMP_CMP_EQ": seccomp.EQ, "SCMP_CMP_GE": seccomp.GE, "SCMP_CMP_GT": seccomp.GT,
    "SCMP_CMP_MASKED_EQ": seccomp.MASKED_EQ,
}


def kernel_at_least(version):
    major, minor = (int(x) for x in version.split(".")[:2])
    return KERNEL >= (major, minor)


def moby_keeps(entry, moby_names):
    """moby setupSeccomp's includes/excludes tests, in its order."""
    exc = entry.get("excludes") or {}
    inc = entry.get("includes") or {}
    if any(a in moby_names for a in exc.get("arches") or []):
        return False
    if any(c in DOCKER_DEFAULT_CAPS for c in exc.get("caps") or []):
        return False
    if exc.get("minKernel") and kernel_at_least(exc["minKernel"]):
        return False
    if inc.get("arches") and not any(a in moby_names for a in inc["arches"]):
        return False
    if any(c not in DOCKER_DEFAULT_CAPS for c in inc.get("caps") or []):
        return False
    if inc.get("minKernel") and not kernel_at_least(inc["minKernel"]):
        return False
    return True


def action_of(name, errno_ret, errno_name, errnos):
    """runc getAction (plus containers-common's errno name, resolved on the
    native host, which wins over the number as in sysfence's resolver)."""
    data = None
    if errno_name:
        data = errnos[errno_name]
    elif errno_ret is not None:
        data = errno_ret & 0xFFFF
    if name == "SCMP_ACT_ALLOW":
        return seccomp.ALLOW, ("ALLOW",)
    if name == "SCMP_ACT_ERRNO":
        e = data if data is not None else errnos["EPERM"]
        return seccomp.ERRNO(e), ("ERRNO", e)
    if name in ("SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD"):
        return seccomp.KILL, ("KILL",)
    if name == "SCMP_ACT_KILL_PROCESS":
        return seccomp.KILL_PROCESS, ("KILL_PROCESS",)
    if name == "SCMP_ACT_TRAP":
        return seccomp.TRAP, ("TRAP",)
    if name == "SCMP_ACT_LOG":
        return seccomp.LOG, ("LOG",)
    if name == "SCMP_ACT_TRACE":
        e = data if data is not None else errnos["EPERM"]
        return seccomp.TRACE(e), ("TRACE", e)
    raise SystemExit(f"unsupported action {name}")


class Built:
    def __init__(self):
        self.skipped = {}      # ABI -> names libseccomp does not know
        self.largest = {}      # ABI -> largest number any kept name has
        self.rules = 0
        self.listed = []       # the ABIs the config lists: runc's stub covers only these
        self.same_as_default = 0
        self.actions = set()   # every action value the filter can return


def resolve_entries(profile, moby_names, native_token):
    """The ABIs (native first), the ABIs the config lists (moby's
    Architectures: the native archMap entry's architecture and its
    subArchitectures, none without such an entry) and the kept entries, as
    moby hands them to runc."""
    abis = [native_token]
    listed = []
    for m in profile.get("archMap") or []:
        if m["architecture"] == "SCMP_ARCH_" + native_token:
            listed.append(native_token)
            for sub in m.get("subArchitectures") or []:
                tok = sub[len("SCMP_ARCH_"):]
                if tok not in abis:
                    abis.append(tok)
                if tok not in listed:
                    listed.append(tok)
            break
    kept = []
    for e in profile["syscalls"]:
        names = list(e.get("names") or [])
        if e.get("name"):
            names.append(e["name"])
        if moby_keeps(e, moby_names):
            kept.append((names, e))
    return abis, listed, kept


_LIBSECCOMP = ctypes.CDLL("libseccomp.so.2")
_LIBSECCOMP.seccomp_syscall_resolve_name_arch.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
_LIBSECCOMP.seccomp_syscall_resolve_name_arch.restype = ctypes.c_int


def number_by_arch(token, name):
    """seccomp_syscall_resolve_name_arch, which libseccomp-golang's
    GetSyscallFromNameByArch calls: on the ABIs that multiplex the socket and
    IPC calls their names stay negative pseudo numbers, where the binding's
    resolve_syscall rewrites them to socketcall(2) / ipc(2)."""
    return _LIBSECCOMP.seccomp_syscall_resolve_name_arch(int(getattr(seccomp.Arch, token)), name.encode())


def build(profile, native, optimize):
    sysname, token, moby_names, _, _, _ = native
    errnos = ERRNO_NAMES_MIPS if token.startswith("MIPS") else ERRNO_NAMES
    abis, listed, kept = resolve_entries(profile, moby_names, token)
    def_act, def_desc = action_of(profile["defaultAction"], profile.get("defaultErrnoRet"),
                                  profile.get("defaultErrno"), errnos)
    f = seccomp.SyscallFilter(def_act)
    if optimize is not None:
        f.set_attr(seccomp.Attr.CTL_OPTIMIZE, optimize)
    # A foreign native ABI replaces the host's (first, so that a big-endian
    # target does not meet the little-endian host ABI: libseccomp refuses
    # mixed byte orders in one filter).
    if not f.exist_arch(getattr(seccomp.Arch, token)):
        f.remove_arch(seccomp.Arch.NATIVE)
    for tok in abis:
        if not f.exist_arch(getattr(seccomp.Arch, tok)):
            f.add_arch(getattr(seccomp.Arch, tok))
    info = Built()
    info.listed = listed
    info.actions = {f.get_attr(seccomp.Attr.ACT_DEFAULT), f.get_attr(seccomp.Attr.ACT_BADARCH)}
    for tok in abis:
        info.skipped[tok] = []
        info.largest[tok] = 0
    for names, e in kept:
        # runc findLastSyscalls: every kept name counts, whatever its action,
        # by the number libseccomp-golang's GetSyscallFromNameByArch gives it
        # (a negative pseudo number never counts).
        for tok in abis:
            for n in names:
                nr = number_by_arch(tok, n)
                if nr >= 0:
                    info.largest[tok] = max(info.largest[tok], nr)
                if seccomp.resolve_syscall(getattr(seccomp.Arch, tok), n) < 0 and n not in info.skipped[tok]:
                    info.skipped[tok].append(n)
        act, desc = action_of(e["action"], e.get("errnoRet"), e.get("errno"), errnos)
        if desc == def_desc:
            info.same_as_default += 1
            continue
        conds = []
        per_index = [0] * 6
        for a in e.get("args") or []:
            per_index[a["index"]] += 1
            conds.append(seccomp.Arg(a["index"], OPS[a["op"]], a["value"], a.get("valueTwo", 0)))
        rule_sets = [[c] for c in conds] if max(per_index) > 1 else [conds]
        for n in names:
            # runc skips names libseccomp cannot resolve on the host.
            # (-1 is __NR_SCMP_ERROR; a name libseccomp knows on some other
            # arch resolves to its negative pseudo number instead.)
            if seccomp.resolve_syscall(seccomp.Arch.NATIVE, n) == -1:
                continue
            info.actions.add(act)
            for rs in rule_sets:
                f.add_rule(act, n, *rs)
                info.rules += 1
    return f, abis, info


def export(f, path, endian, actions):
    with open(path, "wb") as out:
        f.export_bpf(out)
    with open(path, "rb") as inp:
        data = inp.read()
    if endian == ">" and sys.byteorder == "little":
        data = fix_cross_endian_returns(data, actions)
        with open(path, "wb") as out:
            out.write(data)
    return data


def fix_cross_endian_returns(data, actions):
    """libseccomp 2.5.4 exporting a big-endian filter on a little-endian host
    writes the `ret` instructions of the rules' actions with k in HOST byte
    order while every other field, and the `ret`s of the default and bad-arch
    actions, are in the target's order: ALLOW 0x7fff0000 comes out as the
    bytes 00 00 ff 7f, which an s390x kernel reads as 0x0000ff7f = KILL_THREAD
    (libseccomp's own export_pfc of the same filter says ALLOW). On a native
    big-endian host both orders are the same, so there is no such mix-up:
    this turns each such k back into the target's order. `actions` is the set
    of action values the filter can return; a `ret` whose k is one of them is
    left alone, one whose byte-swapped k is one of them is swapped, anything
    else is an error. Every other byte is libseccomp's."""
    out = bytearray(data)
    # The binding's KILL_PROCESS is negative (-0x80000000): as a return value
    # it is unsigned.
    actions = {a & 0xFFFFFFFF for a in actions}
    for off in range(0, len(data), 8):
        code, jt, jf, k = struct.unpack_from(">HBBI", data, off)
        if code != RET_K:
            continue
        swapped = struct.unpack("<I", struct.pack(">I", k))[0]
        if k in actions:
            assert swapped not in actions or swapped == k, f"ambiguous ret 0x{k:08x}"
            continue
        if swapped not in actions:
            raise SystemExit(f"ret 0x{k:08x} at instruction {off // 8} is no action of the filter")
        struct.pack_into(">I", out, off + 4, swapped)
    return bytes(out)


# Classic BPF opcodes used by the stub.
LD_W_ABS = 0x20
JMP_JEQ_K = 0x15
JMP_JGT_K = 0x25
JMP_JSET_K = 0x45
JMP_JA = 0x05
RET_K = 0x06
SECCOMP_RET_ERRNO = 0x00050000
OFF_NR, OFF_ARCH = 0, 4


def enosys_stub(abis, largest, enosys):
    """runc's documented patchbpf behaviour, written from scratch: in front of
    the libseccomp program, per AUDIT_ARCH of the filter, a syscall number
    above the largest one the profile names on that ABI (libseccomp's
    numbers) answers ERRNO(ENOSYS); x86_64 and x32 share AUDIT_ARCH_X86_64 and
    are told apart by bit 30, each with its own maximum; on s390/s390x number
    0 also answers ENOSYS (the kernel turns an out-of-range number into 0).
    Everything else falls through to the libseccomp program unchanged. An ABI
    whose largest number is 0 gets no check.
    Returns a list of (code, jt, jf, k) with jump offsets resolved."""
    # Group ABIs by AUDIT_ARCH (x86_64 and x32 share one).
    groups = []
    for tok in abis:
        if largest.get(tok, 0) == 0:
            continue
        aa = AUDIT_ARCH[tok]
        for g in groups:
            if g[0] == aa:
                g[1].append(tok)
                break
        else:
            groups.append((aa, [tok]))
    if not groups:
        return []
    # Labels: we build symbolic instructions then resolve.
    insns = []   # (code, jt_label|int, jf_label|int, k)
    ENOSYS_L, END_L = "enosys", "end"
    insns.append((LD_W_ABS, 0, 0, OFF_ARCH))
    for i, (aa, _) in enumerate(groups):
        insns.append((JMP_JEQ_K, f"arch{i}", 0, aa))
    insns.append((JMP_JA, 0, 0, END_L))
    for i, (aa, toks) in enumerate(groups):
        insns.append(("label", f"arch{i}"))
        insns.append((LD_W_ABS, 0, 0, OFF_NR))
        if "S390" in toks or "S390X" in toks:
            insns.append((JMP_JEQ_K, ENOSYS_L, 0, 0))
        if "X86_64" in toks or "X32" in toks:
            x64 = largest.get("X86_64", 0)
            x32 = largest.get("X32", 0)
            insns.append((JMP_JSET_K, f"x32_{i}", 0, X32_SYSCALL_BIT))
            if x64:
                insns.append((JMP_JGT_K, ENOSYS_L, 0, x64))
            insns.append((JMP_JA, 0, 0, END_L))
            insns.append(("label", f"x32_{i}"))
            if x32:
                insns.append((JMP_JGT_K, ENOSYS_L, 0, x32))
            insns.append((JMP_JA, 0, 0, END_L))
        else:
            insns.append((JMP_JGT_K, ENOSYS_L, 0, largest[toks[0]]))
            insns.append((JMP_JA, 0, 0, END_L))
    insns.append(("label", ENOSYS_L))
    insns.append((RET_K, 0, 0, SECCOMP_RET_ERRNO | enosys))
    # Resolve labels; END is the first instruction after the stub.
    pos, labels, real = 0, {}, []
    for ins in insns:
        if ins[0] == "label":
            labels[ins[1]] = pos
        else:
            real.append(ins)
            pos += 1
    labels[END_L] = pos
    out = []
    for idx, (code, jt, jf, k) in enumerate(real):
        def rel(t):
            if isinstance(t, str):
                off = labels[t] - idx - 1
                assert 0 <= off <= 255 or code == JMP_JA
                return off
            return t
        if code == JMP_JA:
            out.append((code, 0, 0, rel(k)))
        else:
            out.append((code, rel(jt), rel(jf), k))
    return out


def pack(insns, endian):
    return b"".join(struct.pack(endian + "HBBI", c, jt, jf, k) for c, jt, jf, k in insns)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--profiles", default="profile/data", help="directory with the profiles")
    ap.add_argument("--own-profiles", default="test/verify/data/libseccomp/profiles",
                    help="directory with sysfence's own test profiles")
    ap.add_argument("--pfc", action="store_true",
                    help="also write libseccomp's pseudo-code of each default-variant filter (not committed)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libseccomp2"],
                             capture_output=True, text=True).stdout.strip() or "unknown"
    rows, notes = [], []
    sources = [(args.profiles, "docker-default", ARCHES), (args.profiles, "containers-common", ARCHES),
               (args.own_profiles, "rule-conflicts", OWN_ARCHES), (args.own_profiles, "range-order", OWN_ARCHES),
               (args.own_profiles, "multiplex-stale", OWN_ARCHES),
               (args.own_profiles, "enosys-threshold", OWN_ARCHES),
               (args.own_profiles, "enosys-no-x32", ARCHES[:1])]
    for pdir, pname, natives in sources:
        ppath = os.path.join(pdir, pname + ".json")
        with open(ppath, "rb") as fh:
            raw = fh.read()
        profile = json.loads(raw)
        notes.append(f"- `{pname}.json` sha256 `{sha256(raw)}`")
        names = sorted({n for e in profile["syscalls"] for n in (e.get("names") or []) + ([e["name"]] if e.get("name") else [])})
        unknown = [n for n in names if seccomp.resolve_syscall(seccomp.Arch.NATIVE, n) == -1]
        notes.append(f"  - names libseccomp {version} does not know at all (runc skips them on every arch): "
                     + (", ".join(unknown) or "none"))
        for native in natives:
            sysname, token, _, endian, _, enosys = native
            base = os.path.join(args.out, f"{pname}.{sysname}")
            f, abis, info = build(profile, native, None)
            plain = export(f, base + ".libseccomp.bpf", endian, info.actions)
            if args.pfc:
                with open(base + ".libseccomp.pfc", "w") as pfc:
                    f.export_pfc(pfc)
            ft, _, tinfo = build(profile, native, 2)
            tree = export(ft, base + ".libseccomp-tree.bpf", endian, tinfo.actions)
            files = [(base + ".libseccomp.bpf", plain), (base + ".libseccomp-tree.bpf", tree)]
            # runc skips its stub when the default action is permissive or
            # defaultErrnoRet is already ENOSYS.
            default = profile["defaultAction"]
            permissive = default in ("SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE")
            # (The default's errno as resolved: containers-common names
            # ENOSYS, which is 89 on MIPS.)
            already_enosys = f.get_attr(seccomp.Attr.ACT_DEFAULT) == (0x00050000 | enosys)
            if not permissive and not already_enosys:
                # runc's findLastSyscalls loops over the config's
                # architectures only: an ABI the profile does not list gets
                # no stub (none at all without a native archMap entry).
                stub = enosys_stub(info.listed, info.largest, enosys)
                runc = pack(stub, endian) + plain
                with open(base + ".runc.bpf", "wb") as o:
                    o.write(runc)
                files.append((base + ".runc.bpf", runc))
            else:
                notes.append(f"- `{pname}.{sysname}`: no runc variant (runc adds no ENOSYS stub: "
                             f"the default action is {default} = 0x{f.get_attr(seccomp.Attr.ACT_DEFAULT):08x})")
            for path, data in files:
                rows.append((os.path.basename(path), len(data) // 8, sha256(data)))
            abi_desc = ", ".join(f"{t} largest {info.largest[t]}" for t in abis)
            listed_desc = ", ".join(info.listed) or "none (no runc stub)"
            notes.append(f"- `{pname}.{sysname}`: ABIs {abi_desc}; listed for runc's stub: {listed_desc}; "
                         f"{info.rules} rules added, "
                         f"{info.same_as_default} entries same as the default action")
            for t in abis:
                if info.skipped[t]:
                    notes.append(f"  - {t}: names with no number on this ABI in libseccomp {version}: "
                                 + ", ".join(sorted(info.skipped[t])))
            print(f"{pname} {sysname}: " + ", ".join(f"{os.path.basename(p)} {len(d)//8}" for p, d in files))
    with open(os.path.join(args.out, "MANIFEST.md"), "w") as m:
        m.write("<!-- generated by tools/gen_libseccomp_fixtures.py, do not edit -->\n")
        m.write(f"# libseccomp fixtures (libseccomp {version}, python3-seccomp)\n\n")
        m.write("Regenerate: `/usr/bin/python3 tools/gen_libseccomp_fixtures.py --out test/verify/data/libseccomp`\n\n")
        m.write("| file | instructions | sha256 |\n|---|---:|---|\n")
        for name, n, digest in rows:
            m.write(f"| `{name}` | {n} | `{digest}` |\n")
        m.write("\n## Inputs and resolution\n\n")
        m.write("\n".join(notes) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

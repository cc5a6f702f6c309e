#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/ (committed; re-run to
regenerate: `python3 fuzz/make_seeds.py`). Seeds are small, hand-made inputs
that reach each reader/assembler feature and each error path once; the
fuzzers grow from them. Files found by fuzzing that are worth keeping as
regression cases go in the same directories under a `crash-`/`found-` name
and are not touched by this script."""

import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")


def out(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def profile_seeds():
    p = {}
    p["minimal"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}
    p["errno_default"] = {
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "syscalls": [{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"}]}
    p["all_ops"] = {
        "defaultAction": "SCMP_ACT_KILL_PROCESS",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
            {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
             "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_LE"},
                      {"index": 0, "value": 1, "op": "SCMP_CMP_GT"}]},
            {"names": ["mmap"], "action": "SCMP_ACT_TRAP",
             "args": [{"index": 2, "value": 4, "valueTwo": 4, "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["socket"], "action": "SCMP_ACT_LOG",
             "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_NE"}]},
            {"names": ["prctl"], "action": "SCMP_ACT_TRACE",
             "args": [{"index": 5, "value": 18446744073709551615, "op": "SCMP_CMP_GE"}]},
            {"names": ["ioctl"], "action": "SCMP_ACT_KILL_THREAD",
             "args": [{"index": 3, "value": 4294967296, "op": "SCMP_CMP_LT"}]},
            {"names": ["getpid"], "action": "SCMP_ACT_NOTIFY"},
        ]}
    p["arch_map"] = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "archMap": [
            {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
            {"architecture": "SCMP_ARCH_MIPS64", "subArchitectures": ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"]},
            {"architecture": "SCMP_ARCH_S390X", "subArchitectures": ["SCMP_ARCH_S390"]},
            {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
        ],
        "syscalls": [
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
             "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 1, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
             "includes": {"arches": ["s390", "s390x"]}},
            {"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_BPF"], "minKernel": "5.8"}},
            {"names": ["arm_fadvise64_64", "sync_file_range2"], "action": "SCMP_ACT_ALLOW",
             "includes": {"arches": ["arm", "arm64"]}},
        ]}
    p["containers_common_style"] = {
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOSYS",
        "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["open"], "action": "SCMP_ACT_ERRNO", "errno": "EACCES"},
        ]}
    p["legacy_name"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"name": "mount", "action": "SCMP_ACT_ERRNO", "args": None},
                     {"name": "chmod", "action": "SCMP_ACT_ERRNO", "comment": "old style"}]}
    p["oci_config"] = {
        "ociVersion": "1.0.2",
        "linux": {"seccomp": {
            "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
            "architectures": ["SCMP_ARCH_AARCH64"],
            "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
            "listenerPath": "/run/seccomp.sock", "listenerMetadata": "x",
            "syscalls": [{"names": ["openat", "close"], "action": "SCMP_ACT_ALLOW"}]}}}
    p["repeated_index"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["setsockopt"], "action": "SCMP_ACT_ERRNO",
                      "args": [{"index": 1, "value": 1, "op": "SCMP_CMP_EQ"},
                               {"index": 1, "value": 41, "op": "SCMP_CMP_EQ"}]}]}
    for name, doc in p.items():
        text = json.dumps(doc, indent=2) + "\n"
        out("profile_reader", name + ".json", text)
        out("profile_compile", name + ".json", text)
    # Odd but valid JSON (case-insensitive keys, duplicates, nulls, escapes).
    odd = ('{"DEFAULTACTION":"SCMP_ACT_ALLOW","defaultAction":"SCMP_ACT_ERRNO","syscalls":'
           '[{"Names":["re\\u0061d"],"action":"SCMP_ACT_ALLOW","args":null,"unknown":[1,2.5e3,-0,true]}]}')
    out("profile_reader", "odd_keys.json", odd)
    out("profile_compile", "odd_keys.json", odd)
    # Error paths, one each.
    bad = {
        "empty.json": "",
        "truncated.json": '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"',
        "wrong_type.json": '{"defaultAction": 5, "syscalls": []}',
        "unknown_action.json": '{"defaultAction": "SCMP_ACT_ALOW"}',
        "unknown_op.json": '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO",'
                           '"args":[{"index":0,"value":1,"op":"SCMP_CMP_EQQ"}]}]}',
        "index_6.json": '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO",'
                        '"args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}',
        "huge_number.json": '{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":184467440737095516160}',
        "deep.json": "[" * 100 + "]" * 100,
        "bad_arch.json": '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_VAX"]}',
        "bad_kernel.json": '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["bpf"],'
                           '"action":"SCMP_ACT_ERRNO","includes":{"minKernel":"five"}}]}',
    }
    for name, text in bad.items():
        out("profile_reader", name, text)
    out("profile_reader", "binary.bin", bytes(range(256)))
    for src in ("profile/data/docker-default.json", "profile/data/containers-common.json"):
        with open(os.path.join(ROOT, src), "rb") as f:
            data = f.read()
        out("profile_reader", os.path.basename(src), data)
        out("profile_compile", os.path.basename(src), data)


def sock_filter(insns):
    return b"".join(struct.pack("<HBBI", *i) for i in insns)


def bpf_seeds():
    AUDIT_X86_64 = 0xC000003E
    ld_arch = (0x20, 0, 0, 4)
    ld_nr = (0x20, 0, 0, 0)
    allow = (0x06, 0, 0, 0x7FFF0000)
    kill = (0x06, 0, 0, 0x80000000)
    errno1 = (0x06, 0, 0, 0x00050001)
    progs = {
        "allow": [allow],
        "arch_check": [ld_arch, (0x15, 1, 0, AUDIT_X86_64), kill, ld_nr,
                       (0x35, 0, 1, 0x40000000), kill, (0x15, 0, 1, 59), errno1, allow],
        "args": [ld_nr, (0x15, 0, 3, 16), (0x20, 0, 0, 0x1C), (0x15, 0, 1, 0), allow, errno1],
        "alu_x": [(0x01, 0, 0, 7), (0x20, 0, 0, 16), (0x0C, 0, 0, 0), (0x3C, 0, 0, 0), (0x5C, 0, 0, 0),
                  (0x6C, 0, 0, 0), (0x7C, 0, 0, 0), (0x84, 0, 0, 0), (0x87, 0, 0, 0), (0x07, 0, 0, 0),
                  (0x1D, 1, 0, 0), (0x16, 0, 0, 0), errno1],
        "alu_k": [(0x20, 0, 0, 24), (0x04, 0, 0, 1), (0x14, 0, 0, 2), (0x24, 0, 0, 3), (0x34, 0, 0, 4),
                  (0x44, 0, 0, 5), (0x54, 0, 0, 0xFF), (0x64, 0, 0, 3), (0x74, 0, 0, 1), (0xA4, 0, 0, 9),
                  (0x25, 1, 0, 10), (0x16, 0, 0, 0), allow],
        "scratch": [ld_nr, (0x02, 0, 0, 3), (0x00, 0, 0, 5), (0x61, 0, 0, 3), (0x87, 0, 0, 0), (0x03, 0, 0, 4),
                    (0x60, 0, 0, 4), (0x45, 0, 1, 1), errno1, (0x80, 0, 0, 0), (0x81, 0, 0, 0), allow],
        "div_x_zero": [(0x01, 0, 0, 0), (0x3C, 0, 0, 0), allow],
        "ja": [(0x05, 0, 0, 1), kill, allow],
    }
    for name, p in progs.items():
        out("bpf_machine", name + ".bin", b"\x00" + sock_filter(p))
    # Rejected by the validator: one per rule.
    bad = {
        "bad_jump": [(0x15, 5, 0, 1), allow],
        "bad_opcode": [(0xFFFF, 0, 0, 0), allow],
        "bad_seccomp_opcode": [(0x30, 0, 0, 0), allow],  # ldb [k]
        "bad_load": [(0x20, 0, 0, 66), allow],
        "div_zero": [(0x34, 0, 0, 0), allow],
        "shift_32": [(0x64, 0, 0, 32), allow],
        "scratch_16": [(0x02, 0, 0, 16), allow],
        "last_not_ret": [allow, ld_nr],
        "scratch_uninit": [(0x60, 0, 0, 2), allow],
    }
    for name, p in bad.items():
        out("bpf_machine", name + ".bin", b"\x00" + sock_filter(p))
    out("bpf_machine", "truncated.bin", b"\x00" + sock_filter([allow])[:5])
    out("bpf_machine", "too_long.bin", b"\x00" + sock_filter([ld_nr] * 4096 + [allow]))
    # Shaped mode (odd first byte): bytes become seccomp opcodes.
    out("bpf_machine", "shaped.bin", b"\x01" + bytes((i * 37) & 0xFF for i in range(8 * 24)))
    out("bpf_machine", "shaped_arch.bin", b"\x07" + bytes((i * 91 + 3) & 0xFF for i in range(8 * 40)))


def asm_seeds():
    seeds = {
        "filter.s": """# read/write on x86_64 and i386
  A = arch
  if (A == ARCH_I386) goto i386
  if (A != ARCH_X86_64) goto kill
  A = sys_number
  if (A >= 0x40000000) goto kill
  if (A == read) goto allow
  if (A == write) goto allow else goto deny
i386:
  A = sys_number
  if (A == i386:read) goto allow
  if (A != write) goto deny
  A = args[0]
  if (A == 1) goto allow
deny:
  return ERRNO(1)
allow:
  return ALLOW
kill:
  return KILL_PROCESS
""",
        "alu.s": """  A = args[1] >> 32
  X = A
  A = instruction_pointer
  A += 5
  A -= X
  A *= 3
  A /= 7
  A &= 0xff
  A |= 0x100
  A ^= X
  A <<= 2
  A >>= 1
  A = -A
  mem[3] = A
  X = mem[3]
  A = len
  X = len
  mem[4] = X
  A = mem[4]
  if (A & 4) goto 22
  if (!(A & 8)) goto 22 else goto 22
  return A
  return TRACE(7)
""",
        "listing.s": """ line  CODE  JT   JF      K
=================================
 0000: 0x20 0x00 0x00 0x00000004  A = arch
 0001: 0x15 0x00 0x02 0xc000003e  if (A != ARCH_X86_64) goto 0004
 0002: 0x20 0x00 0x00 0x00000000  A = sys_number
 0003: 0x06 0x00 0x00 0x7fff0000  return ALLOW
 0004: 0x06 0x00 0x00 0x00000000  return KILL
""",
        "arch_directive.s": """.arch aarch64
  A = sys_number
  if (A == openat) goto ok
  return ERRNO(38)
ok:
  return LOG
""",
        "raw_insn.s": """  .insn 0x20 0 0 0
  return USER_NOTIF {jt=1 k=0x7fc00000}
""",
        "bad_statement.s": "  A = banana\n",
        "bad_label.s": "  goto nowhere\n  return ALLOW\n",
        "backward.s": "top:\n  A = arch\n  goto top\n",
        "far_jump.s": "  if (A == 1) goto far\n" + "  A = 0\n" * 300 + "far:\n  return ALLOW\n",
        "unknown_syscall.s": "  A = sys_number\n  if (A == not_a_syscall) goto 2\n  return ALLOW\n",
        "binary.s": bytes(range(256)),
    }
    for name, text in seeds.items():
        out("bpf_asm", name, text)


def main():
    for target in ("profile_reader", "profile_compile", "bpf_machine", "bpf_asm"):
        d = os.path.join(CORPUS, target)
        # Keep fuzzer finds (crash-*, found-*); rewrite the hand-made seeds.
        if os.path.isdir(d):
            for f in os.listdir(d):
                if not f.startswith(("crash-", "found-")):
                    os.remove(os.path.join(d, f))
    profile_seeds()
    bpf_seeds()
    asm_seeds()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Derive, for every syscall of every seccomp ABI, how many arguments the
kernel reads and how many bits of each argument register it reads.

Why: a seccomp filter sees six 64-bit argument words, but the kernel reads
`int family` of socket(2) as 32 bits. A filter that compares all 64 bits of
such an argument can be bypassed with a value whose high word is non-zero
(socket(0x1_0000_0026, ...) reaches AF_ALG past Docker's rule). The compiler
needs the kernel's own view of each argument, per ABI; this tool derives it
from the kernel sources and writes it beside the syscall tables.

Inputs (all read from the kernel source tree given with --src):
  * the syscall tables (*.tbl): number, ABI, name and entry point(s);
  * the entry points' definitions: SYSCALL_DEFINEn / COMPAT_SYSCALL_DEFINEn /
    PPC32_SYSCALL_DEFINEn anywhere in the tree, and plain C definitions or
    prototypes (asmlinkage ...) for arch-specific entry points;
  * the typedef headers (posix_types, linux/types.h, compat.h, ...) to
    resolve each parameter type to its width under the ABI's data model.

Outputs (--out, default syscalls/generated/arg_widths):
  * <abi>.inc, one per ABI: C++ initializers of syscalls::ArgInfo, sorted
    by seccomp_data.nr (syscalls/arg_widths.cc includes them);
  * inputs.txt: package version, every input file with its SHA-256, the
    typedef widths checked, and the notes the derivation produced.
Syscalls newer than the sources (syscalls/data/post_6_12.txt, read-only
input shared with tools/gen_syscall_tables.py) get entries marked unknown.
`--check` regenerates in memory and fails if the committed files differ.
Run from the repository root; the output is byte-for-byte reproducible.

The rules, with the kernel evidence for each (paths relative to --src):

R1  64-bit ABIs (x86_64, aarch64, riscv64, ppc64/ppc64le, s390x, mips n64,
    loongarch64, parisc64): every SYSCALL_DEFINE wrapper receives each
    register as `long` and casts it to the declared type before the body
    runs (include/linux/syscalls.h: __SC_LONG / __SC_CAST, and the per-arch
    copies in arch/{x86,arm64,riscv,powerpc,s390}/include/asm/
    syscall_wrapper.h). The kernel therefore reads sizeof(declared type)
    bits of the register: int/pid_t/uid_t... 32, umode_t 16, long/size_t/
    pointers 64.
R2  x32 and MIPS n32 run on a 64-bit kernel with 64-bit registers: their
    sys_* entries are the same 64-bit wrappers as R1, and their compat_sys_*
    entries cast each register through `unsigned long` to the declared type
    (include/linux/compat.h: __SC_DELOUSE; arch/x86/include/asm/
    syscall_wrapper.h: __X32_COMPAT_SYS_STUBx uses SC_X86_64_REGS_TO_ARGS).
    So widths follow the declared type exactly as in R1 (compat_ulong_t 32,
    a `struct compat_x __user *` pointer 64). The registers really are
    64-bit: mips_get_syscall_arg() (arch/mips/include/asm/syscall.h) reads
    n32 arguments 4..5 from regs, not from the 32-bit user stack, and n32
    passes loff_t in one register (syscall_n32.tbl uses sys_pread64).
R3  32-bit ABIs (i386, arm, ppc, mips o32, riscv32, parisc, s390, m68k, sh,
    csky, xtensa): each argument register is 32 bits wide to the kernel.
    Native 32-bit kernels have 32-bit registers; on 64-bit kernels the
    compat entry truncates: x86 ia32 __SC_COMPAT_CAST casts through
    `(unsigned int)` (arch/x86/include/asm/syscall_wrapper.h), powerpc masks
    r3..r8 with 0xffffffff (arch/powerpc/kernel/syscall.c), s390 casts
    `long` through s32, `unsigned long` through u32 and masks pointers with
    0x7fffffff (arch/s390/include/asm/syscall_wrapper.h, compat.h: pointers
    are 31-bit there, recorded as 31), MIPS o32 runs with TIF_32BIT_REGS and
    reads arguments 4..7 as `int` from the user stack
    (arch/mips/include/asm/syscall.h), AArch32 has 32-bit registers.
    A type narrower than 32 bits (old_uid_t, umode_t) keeps its width.
    NOTE what seccomp_data holds for these ABIs: syscall_get_arguments()
    copies whole registers; for int $0x80 from a 64-bit x86 task the high
    words are the task's 64-bit register contents (arch/x86/include/asm/
    syscall.h, entry/entry_64_compat.S), and o32 on a 64-bit MIPS kernel
    sees sign-extended words. A filter must compare the low word only.
R4  A 64-bit value (loff_t, u64, long long) on a 32-bit ABI occupies two
    argument registers. Compat entry points spell the halves out (u32 lo/hi,
    compat_arg_u64_dual(), arg_u32p(), SC_ARG64()). Native 32-bit entry
    points declare loff_t and leave the split to the C calling convention,
    which this tool models per ABI (PAIR_RULES below) and cross-checks
    against the compat entry of the same syscall where a 64-bit kernel has
    one (arm/arm64, ppc, mips o32, parisc, i386, riscv32). Slots beyond the
    sixth (MIPS o32 sync_file_range takes seven) are invisible to seccomp;
    the entry records count 6 and beyond_six.
R5  sys_ni_syscall, a missing entry point ("-" or empty column) and an
    entry that only exists in one of a 32-bit ABI's two kernels are
    recorded as they are: not implemented means the kernel reads no
    argument (count 0).
R6  `struct pt_regs *` parameters of arch entry points (sigreturn, clone,
    fork trampolines) are the kernel's saved registers handed over by the
    entry code, not user arguments; they are dropped.

R7  The entry's declared type is an upper bound: a body may hand the value
    on to a narrower parameter (ppc64's personality takes `unsigned long`
    and passes it to ksys_personality(unsigned int)). The tool finds the
    simple forms (the parameter passed whole to a function whose prototype
    it finds, two calls deep, or masked with a constant) on 64-bit ABIs and
    lists them in inputs.txt; it applies only the ones in BODY_NARROWING,
    each confirmed by reading the code, because a value narrowed on one path
    may be used whole on another.

Everything else (which table rows, which entry column, which directories
hold an ABI's definitions, calling-convention pair rules, asm trampolines)
is in the ABI descriptions below, each with its evidence.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import re
import subprocess
import sys
from typing import Optional

TOOL = "tools/gen_arg_widths.py"
PACKAGE = "linux-source-6.12"

# ---------------------------------------------------------------------------
# ABI descriptions
# ---------------------------------------------------------------------------

# Kinds of kernel view an ABI is served by.
LP64 = "lp64"        # 64-bit kernel, 64-bit registers (R1, R2)
NATIVE32 = "native32"  # 32-bit kernel (R3, R4 pair rule applies)
COMPAT = "compat"    # 64-bit kernel running a 32-bit task (R3)

# How a native 32-bit kernel's C calling convention places a 64-bit
# parameter in the argument registers (R4).
#  sequential: next two slots, no alignment.
#  aligned:    next even slot (a slot is skipped when needed).
#  sh:         next two slots unless that would straddle slot 3 (last
#              register, r7) and slot 4 (first stack word): then slots 4,5.
PAIR_RULES = {
    # i386: asmlinkage is regparm(0), arguments are consecutive 4-byte stack
    # words built from ebx..ebp. Cross-checked against the ia32 compat table.
    "i386": "sequential",
    # ARM EABI aligns 64-bit arguments to an even register; the kernel works
    # around it with sys_arm_fadvise64_64 (arch/arm/kernel/sys_arm.c:
    # "Since loff_t is a 64 bit type we avoid a lot of ABI hassle with a
    # different argument ordering"), and arm64's compat entries insert
    # `u32 __pad` (arch/arm64/kernel/sys32.c). Cross-checked.
    "arm": "aligned",
    # MIPS o32 aligns 64-bit arguments to an even slot; arch/mips/kernel/
    # linux32.c spells the pad out (sys32_readahead: `int fd, u32 pad0`).
    # Cross-checked.
    "o32": "aligned",
    # PowerPC 32 SysV: 64-bit arguments go in an odd/even GPR pair starting
    # at r3, i.e. an even slot; arch/powerpc/kernel/sys_ppc32.c passes
    # `u32 reg6` pads. Cross-checked.
    "ppc": "aligned",
    # PA-RISC 32: 64-bit arguments are double-word aligned in the argument
    # list; the parisc_* wrappers (arch/parisc/kernel/sys_parisc.c) split
    # them explicitly. Cross-checked where both kernels have an entry.
    "parisc": "aligned",
    # RISC-V ILP32: named 2*XLEN scalars take the next two registers
    # without alignment; the rv64 compat entries (fs/read_write.c
    # COMPAT_SYSCALL_DEFINE5(pread64, ..., compat_arg_u64_dual(pos))) agree.
    # Cross-checked.
    "riscv32": "sequential",
    # m68k: arguments are consecutive stack words (the entry code pushes
    # d1-d5/a0 as the C argument area); 64-bit values are 2-byte aligned.
    # sys_fadvise64_64(fd, loff_t, loff_t, advice) is used unchanged by
    # arch/m68k/kernel/syscalls/syscall.tbl, which only fits six registers
    # without alignment. Not cross-checked (no 64-bit m68k kernel).
    "m68k": "sequential",
    # SH: r4-r7 then stack words; a 64-bit value is never split between r7
    # and the stack. The kernel adds explicit `long dummy` pads where user
    # space aligns (arch/sh/kernel/sys_sh32.c sys_pread_wrapper). Not
    # cross-checked.
    "sh": "sh",
    # C-SKY: the Linux user ABI is abiv2, which does not align 64-bit
    # arguments; only abiv1 did (arch/csky/kernel/syscall.c: "for abiv1 the
    # 64bits args should be even th"). Not cross-checked.
    "csky": "sequential",
    # Xtensa: 8-byte-aligned arguments start in an even register, hence
    # xtensa_fadvise64_64(fd, advice, offset, len) (arch/xtensa/kernel/
    # syscall.c) moves `advice` forward. Not cross-checked.
    "xtensa": "aligned",
}


@dataclasses.dataclass(frozen=True)
class View:
    """One kernel's view of an ABI: where its table rows and code are."""
    kind: str                # LP64, NATIVE32 or COMPAT
    table: str               # path of the .tbl under --src
    abis: tuple[str, ...]    # table ABI column values that belong to it;
                             # () = every row (the arch Makefile passes no
                             # --abis to scripts/syscalltbl.sh)
    column: int              # entry-point column (0-based field index)
    fallback_column: Optional[int]  # used when `column` is empty
    arch_dirs: tuple[str, ...]  # arch/<dir> whose definitions apply
    macros: tuple[tuple[str, int], ...]  # preprocessor facts of this build
    posix_types: tuple[str, ...]  # arch posix_types header(s), first wins


@dataclasses.dataclass(frozen=True)
class Abi:
    enum: str          # syscalls::ArchId enumerator
    name: str          # short name (file names, messages)
    bias: int          # added to table numbers to get seccomp_data.nr
    big_endian: bool
    pair_rule: Optional[str]   # key of PAIR_RULES for 32-bit ABIs
    views: tuple[View, ...]    # first one wins when views disagree
    private: tuple = ()        # arch-private syscalls outside the .tbl


X86_64_TBL = "arch/x86/entry/syscalls/syscall_64.tbl"
X86_32_TBL = "arch/x86/entry/syscalls/syscall_32.tbl"
GENERIC_TBL = "scripts/syscall.tbl"
PPC_TBL = "arch/powerpc/kernel/syscalls/syscall.tbl"
S390_TBL = "arch/s390/kernel/syscalls/syscall.tbl"
PARISC_TBL = "arch/parisc/kernel/syscalls/syscall.tbl"

# Macro facts. Only what the conditions around definitions and typedefs ask
# for; anything not listed evaluates as "unknown" and such a definition
# stays a candidate (ties are reported, never guessed silently).
_K = (("__KERNEL__", 1), ("__ASSEMBLY__", 0), ("__SYSCALL_COMPAT", 0))
_LP = _K + (("CONFIG_64BIT", 1), ("__BITS_PER_LONG", 64), ("__LP64__", 1),
            ("CONFIG_32BIT", 0), ("CONFIG_COMPAT", 1))
_IP = _K + (("CONFIG_64BIT", 0), ("__BITS_PER_LONG", 32), ("__LP64__", 0),
            ("CONFIG_32BIT", 1), ("CONFIG_COMPAT", 0))
_LE = (("__BIG_ENDIAN", 0), ("__BIG_ENDIAN__", 0), ("CONFIG_CPU_BIG_ENDIAN", 0),
       ("__AARCH64EB__", 0), ("__MIPSEB__", 0), ("__LITTLE_ENDIAN", 1))
_BE = (("__BIG_ENDIAN", 1), ("__BIG_ENDIAN__", 1), ("CONFIG_CPU_BIG_ENDIAN", 1),
       ("__AARCH64EB__", 1), ("__MIPSEB__", 1), ("__LITTLE_ENDIAN", 0))

_X86_64 = _LP + _LE + (("CONFIG_X86_64", 1), ("CONFIG_X86_32", 0),
                       ("__x86_64__", 1), ("__i386__", 0),
                       ("CONFIG_IA32_EMULATION", 1), ("CONFIG_X86_X32_ABI", 1))
_X86_32 = _IP + _LE + (("CONFIG_X86_64", 0), ("CONFIG_X86_32", 1),
                       ("__x86_64__", 0), ("__i386__", 1),
                       ("CONFIG_IA32_EMULATION", 0), ("CONFIG_X86_X32_ABI", 0))
_PPC64 = _LP + (("CONFIG_PPC64", 1), ("CONFIG_PPC32", 0), ("__powerpc64__", 1))
_PPC32 = _IP + _BE + (("CONFIG_PPC64", 0), ("CONFIG_PPC32", 1),
                      ("__powerpc64__", 0))
_S390X = _LP + _BE + (("__s390x__", 1),)
_MIPS64 = _LP + (("CONFIG_MIPS32_O32", 1), ("CONFIG_MIPS32_N32", 1),
                 ("__mips64", 1))
_MIPS32 = _IP + (("CONFIG_MIPS32_O32", 0), ("CONFIG_MIPS32_N32", 0),
                 ("__mips64", 0))

X86_POSIX_64 = ("arch/x86/include/uapi/asm/posix_types_64.h",)
X86_POSIX_32 = ("arch/x86/include/uapi/asm/posix_types_32.h",)


def _posix(arch: str) -> tuple[str, ...]:
    return (f"arch/{arch}/include/uapi/asm/posix_types.h",)


def _lp64(table, abis, arch_dirs, macros, posix, column=3):
    return View(LP64, table, abis, column, None, arch_dirs, macros, posix)


def _native32(table, abis, arch_dirs, macros, posix):
    return View(NATIVE32, table, abis, 3, None, arch_dirs, macros, posix)


def _compat(table, abis, arch_dirs, macros, posix, column=4, fallback=3):
    return View(COMPAT, table, abis, column, fallback, arch_dirs, macros, posix)


# ARM private syscalls live outside syscall.tbl: __ARM_NR_BASE (0x0f0000)
# + n, decoded by arm_syscall() in arch/arm/kernel/traps.c (native) and
# compat_arm_syscall() in arch/arm64/kernel/sys_compat.c. Their parameters
# are read straight from regs: breakpoint/usr26/usr32/get_tls read none,
# cacheflush reads r0 (start), r1 (end) and r2 (flags, must be 0), set_tls
# reads r0. All are 32-bit registers (R3).
ARM_PRIVATE = (
    (0x0F0001, "breakpoint", ()),
    (0x0F0002, "cacheflush", (("start", "unsigned long"), ("end", "unsigned long"),
                              ("flags", "int"))),
    (0x0F0003, "usr26", ()),
    (0x0F0004, "usr32", ()),
    (0x0F0005, "set_tls", (("val", "unsigned long"),)),
    (0x0F0006, "get_tls", ()),
)
ARM_PRIVATE_SOURCE = "arch/arm/kernel/traps.c:arm_syscall"

ABIS = (
    # x86: the 64-bit table serves x86_64 ("common","64") and x32
    # ("common","x32"; numbers get __X32_SYSCALL_BIT 0x40000000, see
    # arch/x86/include/uapi/asm/unistd.h). Entry column 4 for both
    # (arch/x86/entry/syscalls/Makefile builds syscalls_x32.h from the same
    # column). i386: column 4 is the native 32-bit kernel's entry, column 5
    # the x86_64 kernel's ia32 compat entry (empty: same as column 4).
    Abi("kX86_64", "x86_64", 0, False, None, (
        _lp64(X86_64_TBL, ("common", "64"), ("x86",), _X86_64, X86_POSIX_64),)),
    Abi("kX32", "x32", 0x40000000, False, None, (
        _lp64(X86_64_TBL, ("common", "x32"), ("x86",), _X86_64, X86_POSIX_64),)),
    Abi("kI386", "i386", 0, False, "i386", (
        _compat(X86_32_TBL, ("i386",), ("x86",), _X86_64, X86_POSIX_64),
        _native32(X86_32_TBL, ("i386",), ("x86",), _X86_32, X86_POSIX_32))),
    # arm64 uses arch/arm64/tools/syscall_64.tbl with the extra ABIs of
    # arch/arm64/kernel/Makefile.syscalls; its AArch32 compat table is
    # syscall_32.tbl ("common","32": scripts/Makefile.asm-headers defaults).
    # 32-bit ARM kernels use arch/arm/tools/syscall.tbl ("common","eabi").
    Abi("kAarch64", "aarch64", 0, False, None, (
        _lp64("arch/arm64/tools/syscall_64.tbl",
              ("common", "64", "renameat", "rlimit", "memfd_secret"),
              ("arm64",), _LP + _LE, _posix("arm64")),)),
    Abi("kArm", "arm", 0, False, "arm", (
        _compat("arch/arm64/tools/syscall_32.tbl", ("common", "32"), ("arm64",),
                _LP + _LE, _posix("arm64")),
        _native32("arch/arm/tools/syscall.tbl", ("common", "eabi"), ("arm",),
                  _IP + _LE + (("CONFIG_AEABI", 1), ("CONFIG_OABI_COMPAT", 0)),
                  _posix("arm"))),
        private=ARM_PRIVATE),
    # riscv: scripts/syscall.tbl with arch/riscv/kernel/Makefile.syscalls
    # ABIs; rv64 kernels run rv32 tasks through column 5 (compat).
    Abi("kRiscv64", "riscv64", 0, False, None, (
        _lp64(GENERIC_TBL, ("common", "64", "riscv", "rlimit", "memfd_secret"),
              ("riscv",), _LP + _LE, ()),)),
    Abi("kRiscv32", "riscv32", 0, False, "riscv32", (
        _compat(GENERIC_TBL, ("common", "32", "riscv", "memfd_secret"),
                ("riscv",), _LP + _LE, ()),
        _native32(GENERIC_TBL, ("common", "32", "riscv", "memfd_secret"),
                  ("riscv",), _IP + _LE, ()))),
    # powerpc: arch/powerpc/kernel/syscalls/Makefile uses "common,nospu,64"
    # and "common,nospu,32"; column 5 is the ppc64 kernel's compat entry.
    Abi("kPpc64le", "ppc64le", 0, False, None, (
        _lp64(PPC_TBL, ("common", "nospu", "64"), ("powerpc",), _PPC64 + _LE,
              _posix("powerpc")),)),
    Abi("kPpc64", "ppc64", 0, True, None, (
        _lp64(PPC_TBL, ("common", "nospu", "64"), ("powerpc",), _PPC64 + _BE,
              _posix("powerpc")),)),
    Abi("kPpc", "ppc", 0, True, "ppc", (
        _compat(PPC_TBL, ("common", "nospu", "32"), ("powerpc",), _PPC64 + _BE,
                _posix("powerpc")),
        _native32(PPC_TBL, ("common", "nospu", "32"), ("powerpc",), _PPC32,
                  _posix("powerpc")))),
    # s390: column 4 is the 64-bit entry, column 5 the 31-bit compat entry
    # (arch/s390/kernel/syscalls/syscalltbl); "-" means absent. There are
    # no 31-bit kernels any more, so s390 has the compat view only.
    Abi("kS390x", "s390x", 0, True, None, (
        _lp64(S390_TBL, ("common", "64"), ("s390",), _S390X, _posix("s390")),)),
    Abi("kS390", "s390", 0, True, None, (
        _compat(S390_TBL, ("common", "32"), ("s390",), _S390X, _posix("s390"),
                column=4, fallback=None),)),
    # MIPS: one table per ABI, every row (arch/mips/kernel/syscalls/Makefile
    # runs syscalltbl.sh without --abis; syscall_n64.tbl has one "common"
    # row, set_mempolicy_home_node); numbers are biased by __NR_O32_Linux 4000,
    # __NR_64_Linux 5000, __NR_N32_Linux 6000 (arch/mips/include/uapi/asm/
    # unistd.h). o32 column 4 is the 32-bit kernel's entry, column 5 the
    # 64-bit kernel's (arch/mips/kernel/scall64-o32.S uses the compat
    # table).
    Abi("kMips", "mips", 4000, True, "o32", (
        _compat("arch/mips/kernel/syscalls/syscall_o32.tbl", (), ("mips",),
                _MIPS64 + _BE, _posix("mips")),
        _native32("arch/mips/kernel/syscalls/syscall_o32.tbl", (), ("mips",),
                  _MIPS32 + _BE, _posix("mips")))),
    Abi("kMipsel", "mipsel", 4000, False, "o32", (
        _compat("arch/mips/kernel/syscalls/syscall_o32.tbl", (), ("mips",),
                _MIPS64 + _LE, _posix("mips")),
        _native32("arch/mips/kernel/syscalls/syscall_o32.tbl", (), ("mips",),
                  _MIPS32 + _LE, _posix("mips")))),
    Abi("kMips64", "mips64", 5000, True, None, (
        _lp64("arch/mips/kernel/syscalls/syscall_n64.tbl", (), ("mips",),
              _MIPS64 + _BE, _posix("mips")),)),
    Abi("kMips64el", "mips64el", 5000, False, None, (
        _lp64("arch/mips/kernel/syscalls/syscall_n64.tbl", (), ("mips",),
              _MIPS64 + _LE, _posix("mips")),)),
    Abi("kMips64n32", "mips64n32", 6000, True, None, (
        _lp64("arch/mips/kernel/syscalls/syscall_n32.tbl", (), ("mips",),
              _MIPS64 + _BE, _posix("mips")),)),
    Abi("kMipsel64n32", "mipsel64n32", 6000, False, None, (
        _lp64("arch/mips/kernel/syscalls/syscall_n32.tbl", (), ("mips",),
              _MIPS64 + _LE, _posix("mips")),)),
    # loongarch: scripts/syscall.tbl, no extra ABIs
    # (arch/loongarch/kernel/Makefile.syscalls).
    Abi("kLoongarch64", "loongarch64", 0, False, None, (
        _lp64(GENERIC_TBL, ("common", "64"), ("loongarch",), _LP + _LE, ()),)),
    # parisc: "common,32" / "common,64" (arch/parisc/kernel/syscalls/
    # Makefile); column 5 is the 64-bit kernel's compat entry.
    Abi("kParisc", "parisc", 0, True, "parisc", (
        _compat(PARISC_TBL, ("common", "32"), ("parisc",), _LP + _BE,
                _posix("parisc")),
        _native32(PARISC_TBL, ("common", "32"), ("parisc",), _IP + _BE,
                  _posix("parisc")))),
    Abi("kParisc64", "parisc64", 0, True, None, (
        _lp64(PARISC_TBL, ("common", "64"), ("parisc",), _LP + _BE,
              _posix("parisc")),)),
    # 32-bit only architectures: one table, column 4, every row (their
    # syscalls/Makefile pass no --abis).
    Abi("kM68k", "m68k", 0, True, "m68k", (
        _native32("arch/m68k/kernel/syscalls/syscall.tbl", (), ("m68k",),
                  _IP + _BE, _posix("m68k")),)),
    Abi("kSh", "sh", 0, False, "sh", (
        _native32("arch/sh/kernel/syscalls/syscall.tbl", (), ("sh",),
                  _IP + _LE, ("arch/sh/include/uapi/asm/posix_types_32.h",)),)),
    Abi("kSheb", "sheb", 0, True, "sh", (
        _native32("arch/sh/kernel/syscalls/syscall.tbl", (), ("sh",),
                  _IP + _BE, ("arch/sh/include/uapi/asm/posix_types_32.h",)),)),
    # csky: scripts/syscall.tbl with arch/csky/kernel/Makefile.syscalls ABIs.
    Abi("kCsky", "csky", 0, False, "csky", (
        _native32(GENERIC_TBL, ("common", "32", "csky", "time32", "stat64",
                                "rlimit"), ("csky",), _IP + _LE, ()),)),
    Abi("kXtensa", "xtensa", 0, False, "xtensa", (
        _native32("arch/xtensa/kernel/syscalls/syscall.tbl", (),
                  ("xtensa",), _IP + _LE, _posix("xtensa")),)),
)

# Entry points implemented in assembly that hand over to a C function with
# the same user-visible parameters (or none). Evidence per entry.
ASM_TRAMPOLINES = {
    # arch/mips/kernel/syscall.c: save_static_function(sys_X) emits __sys_X,
    # which saves the static registers and jumps to sys_X.
    ("mips", "__sys_fork"): "sys_fork",
    ("mips", "__sys_clone"): "sys_clone",
    ("mips", "__sys_clone3"): "sys_clone3",
    ("mips", "__sys_sysmips"): "sys_sysmips",
    # arch/parisc/kernel/entry.S: sys_X_wrapper saves the registers and
    # calls sys_X.
    ("parisc", "sys_fork_wrapper"): "sys_fork",
    ("parisc", "sys_clone_wrapper"): "sys_clone",
    ("parisc", "sys_clone3_wrapper"): "sys_clone3",
    ("parisc", "sys_vfork_wrapper"): "sys_vfork",
    # arch/m68k/kernel/entry.S: __sys_X saves the switch stack and calls
    # sys_X (clone and clone3: see ASM_ENTRY_PARAMS).
    ("m68k", "__sys_fork"): "sys_fork",
    ("m68k", "__sys_vfork"): "sys_vfork",
    # arch/powerpc/kernel/entry_32.S / interrupt_64.S: ppc_X saves the
    # non-volatile registers and branches to sys_X.
    ("powerpc", "ppc_fork"): "sys_fork",
    ("powerpc", "ppc_vfork"): "sys_vfork",
    ("powerpc", "ppc_clone"): "sys_clone",
    ("powerpc", "ppc_clone3"): "sys_clone3",
    ("powerpc", "ppc_swapcontext"): "sys_swapcontext",
    ("powerpc", "ppc32_swapcontext"): "compat_sys_swapcontext",
    ("powerpc", "ppc64_swapcontext"): "sys_swapcontext",
}

# Entry points written in assembly whose user-visible parameters are
# documented here (no C prototype describes them).
ASM_ENTRY_PARAMS = {
    # MIPS o32 syscall(2): arch/mips/kernel/scall32-o32.S sys_syscall and
    # scall64-o32.S sys32_syscall take the syscall number in a0 and shift
    # the next seven words (a1..a3 and four stack words) down as the
    # target's arguments.
    ("mips", "sys_syscall"): (("int", "number"),) + tuple(
        ("unsigned long", f"arg{i}") for i in range(1, 8)),
    ("mips", "sys32_syscall"): (("int", "number"),) + tuple(
        ("unsigned long", f"arg{i}") for i in range(1, 8)),
    # Signal returns that read the signal frame from the user stack and no
    # argument register: arch/parisc/kernel/entry.S sys_rt_sigreturn_wrapper
    # (passes pt_regs and an in_syscall flag of its own to sys_rt_sigreturn),
    # arch/m68k/kernel/entry.S sys_sigreturn / sys_rt_sigreturn (call
    # do_{rt_,}sigreturn with pt_regs and switch_stack pointers).
    ("parisc", "sys_rt_sigreturn_wrapper"): (),
    ("m68k", "sys_sigreturn"): (),
    # arch/m68k/kernel/entry.S __sys_clone / __sys_clone3 call m68k_clone /
    # m68k_clone3 (arch/m68k/kernel/process.c) with pt_regs; they read
    # d1 (flags, as u32), d2 (newsp), d3 (parent_tid), d4 (child_tid),
    # d5 (tls), and d1 (uargs), d2 (size) for clone3.
    ("m68k", "__sys_clone"): (("unsigned long", "clone_flags"), ("unsigned long", "newsp"),
                              ("int __user *", "parent_tidptr"),
                              ("int __user *", "child_tidptr"), ("unsigned long", "tls")),
    ("m68k", "__sys_clone3"): (("struct clone_args __user *", "uargs"), ("size_t", "size")),
    ("m68k", "sys_rt_sigreturn"): (),
}
ASM_ENTRY_SOURCE = {
    ("mips", "sys_syscall"): "arch/mips/kernel/scall32-o32.S",
    ("mips", "sys32_syscall"): "arch/mips/kernel/scall64-o32.S",
    ("parisc", "sys_rt_sigreturn_wrapper"): "arch/parisc/kernel/entry.S",
    ("m68k", "sys_sigreturn"): "arch/m68k/kernel/entry.S",
    ("m68k", "__sys_clone"): "arch/m68k/kernel/process.c",
    ("m68k", "__sys_clone3"): "arch/m68k/kernel/process.c",
    ("m68k", "sys_rt_sigreturn"): "arch/m68k/kernel/entry.S",
}

# Entry points that only return -ENOSYS (R5): arch/parisc/kernel/
# sys_parisc32.c sys32_unimplemented() logs and returns -ENOSYS without
# using its register parameters.
NOT_IMPLEMENTED_ENTRIES = {("parisc", "sys32_unimplemented")}

# R7: narrowings inside the body, applied to (arch dir, entry symbol,
# parameter). Each was listed by the detector and confirmed by reading.
BODY_NARROWING = {
    # arch/powerpc/kernel/syscalls.c: sys_ppc64_personality(unsigned long)
    # calls do_ppc64_personality(), which only tests
    # personality(x) (x & PER_MASK), rewrites the low byte and passes the
    # value to ksys_personality(unsigned int). The high word has no effect.
    # (The compat twin serves 32-bit ppc tasks: 32 bits anyway, R3.)
    ("powerpc", "sys_ppc64_personality", "personality"): 32,
    # arch/mips/kernel/linux32.c: sys_32_personality(unsigned long) starts
    # with `unsigned int p = personality & 0xffffffff;` and uses only p.
    ("mips", "sys_32_personality", "personality"): 32,
}

# The typedefs the tool accepts, with the width it must find in the
# headers: "L" means the width of `long` in the view's data model. The
# derivation resolves every parameter type through the real headers; this
# table is the second entry of a double-entry check (a kernel update that
# changes a width fails loudly) and names the header that defines each.
# Per-arch-dir differences are spelled out.
EXPECTED_TYPE_BITS = {
    # include/uapi/asm-generic/int-ll64.h, include/asm-generic/int-ll64.h
    "__s32": 32, "__u32": 32, "__u64": 64, "s32": 32, "u32": 32, "u64": 64,
    "u16": 16, "__u16": 16,
    # include/linux/types.h -> include/uapi/asm-generic/posix_types.h
    "pid_t": 32, "uid_t": 32, "gid_t": 32, "clockid_t": 32, "timer_t": 32,
    "mqd_t": 32, "key_t": 32, "umode_t": 16, "loff_t": 64,
    "size_t": "L", "ssize_t": "L", "off_t": "L", "uintptr_t": "L",
    "uint": 32, "int32_t": 32,
    # 16-bit on arches whose posix_types say unsigned short (i386, x86_64,
    # arm, arm64, s390, m68k, sh, xtensa), else __kernel_uid_t (32).
    "old_uid_t": {"x86": 16, "arm": 16, "arm64": 16, "s390": 16, "m68k": 16,
                  "sh": 16, "xtensa": 16, "*": 32},
    "old_gid_t": {"x86": 16, "arm": 16, "arm64": 16, "s390": 16, "m68k": 16,
                  "sh": 16, "xtensa": 16, "*": 32},
    # include/linux/key.h: int32_t
    "key_serial_t": 32,
    # include/linux/quota.h: __kernel_uid32_t
    "qid_t": 32,
    # include/linux/fs.h -> include/uapi/linux/fs.h: int
    "rwf_t": 32,
    # include/uapi/linux/aio_abi.h: __kernel_ulong_t
    "aio_context_t": "L",
    # arch/*/include/{,uapi/}asm/signal.h or asm-generic: unsigned long
    "old_sigset_t": "L",
    # include/asm-generic/compat.h (+ arch/*/include/asm/compat.h)
    "compat_long_t": 32, "compat_ulong_t": 32, "compat_size_t": 32,
    "compat_ssize_t": 32, "compat_off_t": 32, "compat_pid_t": 32,
    "compat_uptr_t": 32, "compat_aio_context_t": 32, "compat_uint_t": 32,
    "compat_int_t": 32, "compat_loff_t": 64, "compat_timer_t": 32,
    "compat_clock_t": 32, "compat_key_t": 32, "compat_time_t": 32,
    "compat_old_sigset_t": 32,
    # u16 on x86, arm64, s390, parisc (their asm/compat.h), else u32
    "compat_mode_t": {"x86": 16, "arm64": 16, "s390": 16, "parisc": 16,
                      "*": 32},
    # include/uapi/linux/landlock.h (an enum)
    "enum landlock_rule_type": 32,
}

# Headers searched for typedefs, after the view's posix_types header(s).
TYPEDEF_HEADERS = (
    "include/uapi/asm-generic/int-ll64.h",
    "include/asm-generic/int-ll64.h",
    "include/uapi/asm-generic/posix_types.h",
    "include/uapi/linux/posix_types.h",
    "include/linux/types.h",
    "include/linux/key.h",
    "include/linux/quota.h",
    "include/uapi/linux/fs.h",
    "include/linux/fs.h",
    "include/uapi/linux/aio_abi.h",
    "include/uapi/linux/capability.h",
    "include/uapi/asm-generic/signal-defs.h",
    "include/vdso/time32.h",
)
# Per arch: the signal.h that defines old_sigset_t, and compat.h.
ARCH_TYPEDEF_HEADERS = (
    "arch/{a}/include/asm/signal.h",
    "arch/{a}/include/uapi/asm/signal.h",
)
GENERIC_SIGNAL_HEADER = "include/uapi/asm-generic/signal.h"
COMPAT_HEADERS = ("arch/{a}/include/asm/compat.h", "include/asm-generic/compat.h")


# ---------------------------------------------------------------------------
# Source reading
# ---------------------------------------------------------------------------

class Sources:
    """Reads files below the kernel tree and remembers which were used."""

    def __init__(self, root: str):
        self.root = root
        self.used: dict[str, str] = {}  # path -> sha256
        self._cache: dict[str, Optional[str]] = {}
        self._stripped: dict[str, Optional[str]] = {}

    def read(self, rel: str, record: bool = True) -> Optional[str]:
        if not record and rel not in self._cache:
            try:
                with open(os.path.join(self.root, rel), "rb") as f:
                    return f.read().decode("latin-1")
            except FileNotFoundError:
                return None
        if rel not in self._cache:
            path = os.path.join(self.root, rel)
            try:
                with open(path, "rb") as f:
                    raw = f.read()
            except FileNotFoundError:
                self._cache[rel] = None
                return None
            self._cache[rel] = raw.decode("latin-1")
            if record:
                self.used[rel] = hashlib.sha256(raw).hexdigest()
        elif record and self._cache[rel] is not None and rel not in self.used:
            self.used[rel] = hashlib.sha256(
                self._cache[rel].encode("latin-1")).hexdigest()
        return self._cache[rel]

    def record(self, rel: str) -> None:
        self.read(rel, record=True)

    def stripped(self, rel: str, record: bool = True) -> Optional[str]:
        """The file with comments blanked (memoized)."""
        if rel not in self._stripped:
            text = self.read(rel, record=record)
            self._stripped[rel] = strip_comments(text) if text is not None else None
        elif record:
            self.record(rel)
        return self._stripped[rel]


_COMMENT_RE = re.compile(
    r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)


def strip_comments(text: str) -> str:
    """Blank out comments, keeping every newline (line numbers survive)."""
    def repl(m: re.Match) -> str:
        s = m.group(0)
        if s.startswith("/"):
            return re.sub(r"[^\n]", " ", s)
        return s
    return _COMMENT_RE.sub(repl, text)


def line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def balanced(text: str, start: int) -> int:
    """Index just past the ')' matching the '(' before `start`."""
    depth = 1
    i = start
    n = len(text)
    while i < n and depth:
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        i += 1
    if depth:
        raise ValueError("unbalanced parentheses")
    return i


def split_top(text: str) -> list[str]:
    """Split on commas outside parentheses/brackets."""
    parts, depth, cur = [], 0, []
    for c in text:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return [re.sub(r"\s+", " ", p).strip() for p in parts]


# ---------------------------------------------------------------------------
# Preprocessor conditions (three-valued: True, False, None = unknown)
# ---------------------------------------------------------------------------

_PP_RE = re.compile(r"^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif|define|undef)\b(.*)$")


def condition_map(text: str) -> list[tuple]:
    """For every line (1-based index), the stack of #if frames around it.

    A frame is (tuple_of_previous_branch_exprs, current_expr); #else has
    current_expr None. Include guards (#ifndef X directly followed by
    #define X) are recorded as always true.
    """
    lines = text.split("\n")
    stack: list[tuple] = []
    out: list[tuple] = [()]
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(tuple(stack))
        m = _PP_RE.match(line)
        if m:
            kw, rest = m.group(1), m.group(2).strip()
            # Join continuation lines of the directive.
            while rest.endswith("\\") and i + 1 < len(lines):
                i += 1
                out.append(tuple(stack))
                rest = rest[:-1] + " " + lines[i].strip()
            if kw == "ifdef":
                stack.append(((), f"defined({rest.split()[0]})"))
            elif kw == "ifndef":
                name = rest.split()[0]
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                g = _PP_RE.match(nxt)
                if g and g.group(1) == "define" and g.group(2).split()[:1] == [name]:
                    stack.append(((), "1"))
                else:
                    stack.append(((), f"!defined({name})"))
            elif kw == "if":
                stack.append(((), rest))
            elif kw == "elif" and stack:
                prev, cur = stack.pop()
                stack.append((prev + (cur,), rest))
            elif kw == "else" and stack:
                prev, cur = stack.pop()
                stack.append((prev + (cur,), None))
            elif kw == "endif" and stack:
                stack.pop()
        i += 1
    return out


_TOK_RE = re.compile(r"\s*(defined|\d+[uUlL]*|[A-Za-z_]\w*|&&|\|\||==|!=|<=|>=|[()!<>])")


def eval_cond(expr: str, env: dict[str, int]) -> Optional[bool]:
    """Evaluate a #if expression; None when it depends on unknown macros."""
    toks = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = _TOK_RE.match(expr, pos)
        if not m:
            return None  # something we do not model (arithmetic, macros)
        toks.append(m.group(1))
        pos = m.end()
    toks.append("<end>")
    idx = [0]

    def peek():
        return toks[idx[0]]

    def take():
        t = toks[idx[0]]
        idx[0] += 1
        return t

    def value(name):
        if name in env:
            return env[name]
        if name.startswith("__ARCH_WANT_") and "__ARCH_WANT_*" in env:
            return 0
        return None

    def primary():
        t = take()
        if t == "(":
            v = orexpr()
            if take() != ")":
                raise ValueError
            return v
        if t == "!":
            v = primary()
            return None if v is None else int(not v)
        if t == "defined":
            paren = peek() == "("
            if paren:
                take()
            name = take()
            if paren:
                take()
            v = value(name)
            # A fact with value 0 means "known not defined".
            return None if v is None else int(v != 0)
        if t[0].isdigit():
            return int(re.match(r"\d+", t).group(0))
        if t in ("IS_ENABLED", "IS_BUILTIN", "IS_REACHABLE"):
            take()
            name = take()
            take()
            return value(name)
        return value(t)

    def cmp():
        a = primary()
        while peek() in ("==", "!=", "<", ">", "<=", ">="):
            op = take()
            b = primary()
            if a is None or b is None:
                a = None
                continue
            a = int({"==": a == b, "!=": a != b, "<": a < b, ">": a > b,
                     "<=": a <= b, ">=": a >= b}[op])
        return a

    def andexpr():
        a = cmp()
        while peek() == "&&":
            take()
            b = cmp()
            if a == 0 or b == 0:
                a = 0
            elif a is None or b is None:
                a = None
            else:
                a = 1
        return a

    def orexpr():
        a = andexpr()
        while peek() == "||":
            take()
            b = andexpr()
            if (a not in (None, 0)) or (b not in (None, 0)):
                a = 1
            elif a is None or b is None:
                a = None
            else:
                a = 0
        return a

    try:
        v = orexpr()
        if peek() != "<end>":
            return None
    except (ValueError, IndexError):
        return None
    return None if v is None else bool(v)


def eval_frames(frames: tuple, env: dict[str, int]) -> Optional[bool]:
    result: Optional[bool] = True
    for prev, cur in frames:
        parts = [("!(" + p + ")") for p in prev]
        if cur is not None:
            parts.append(cur)
        for p in parts:
            v = eval_cond(p, env)
            if v is False:
                return False
            if v is None:
                result = None
    return result


# The symbol each arch's Kconfig defines for itself (always y there).
ARCH_KCONFIG_SYMBOL = {
    "x86": "X86", "arm": "ARM", "arm64": "ARM64", "riscv": "RISCV",
    "powerpc": "PPC", "s390": "S390", "mips": "MIPS", "loongarch": "LOONGARCH",
    "parisc": "PARISC", "m68k": "M68K", "sh": "SUPERH", "csky": "CSKY",
    "xtensa": "XTENSA",
}
# Select-only symbols that change syscall definitions. For these arches
# they are selected only from arch/<dir>/Kconfig (checked with grep over
# every Kconfig file), so "not selected there" means off.
SELECT_ONLY_SYMBOLS = (
    "CLONE_BACKWARDS", "CLONE_BACKWARDS2", "CLONE_BACKWARDS3",
    "ARCH_32BIT_OFF_T", "ARCH_SPLIT_ARG64", "OLD_SIGACTION", "OLD_SIGSUSPEND",
    "OLD_SIGSUSPEND3", "ARCH_WANT_IPC_PARSE_VERSION",
)
# __ARCH_WANT_* macros are defined only in these per-arch headers (grep
# over include/ and arch/ finds them nowhere else except kprobes.h, whose
# __ARCH_WANT_KPROBES_INSN_SLOT is irrelevant); a macro they do not define
# is off.
ARCH_WANT_HEADERS = ("arch/{a}/include/uapi/asm/unistd.h",
                     "arch/{a}/include/asm/unistd.h")


def kconfig_facts(src: "Sources", arch: str, env: dict[str, int]) -> dict[str, int]:
    """CONFIG_* values implied by `select` lines of arch/<arch>/Kconfig.

    A select counts when its config block is the arch's own symbol or a
    symbol the view's facts enable (e.g. X86_32), and its `if` condition
    holds. Unknown blocks or conditions leave the symbol unknown.
    """
    text = src.read(f"arch/{arch}/Kconfig") or ""
    main = ARCH_KCONFIG_SYMBOL[arch]
    block = None
    seen: dict[str, list[Optional[bool]]] = {}
    for line in text.split("\n"):
        m = re.match(r"^(?:menu)?config\s+(\w+)", line)
        if m:
            block = m.group(1)
            continue
        m = re.match(r"^\s+select\s+(\w+)(?:\s+if\s+(.*?))?\s*(?:#.*)?$", line)
        if not m or block is None:
            continue
        if block == main:
            on: Optional[bool] = True
        else:
            v = env.get("CONFIG_" + block)
            on = None if v is None else bool(v)
        if on and m.group(2):
            # Kconfig symbols may start with a digit (64BIT).
            expr = re.sub(r"\b(\d*[A-Za-z_]\w*)\b", r"CONFIG_\1", m.group(2))
            on = eval_cond(expr, env)
        seen.setdefault(m.group(1), []).append(on)
    facts: dict[str, int] = {}
    for sym, ons in seen.items():
        if any(o is True for o in ons):
            facts["CONFIG_" + sym] = 1
        elif all(o is False for o in ons):
            facts["CONFIG_" + sym] = 0
    for sym in SELECT_ONLY_SYMBOLS:
        facts.setdefault("CONFIG_" + sym, 0 if sym not in seen else facts.get(
            "CONFIG_" + sym, None))
    return {k: v for k, v in facts.items() if v is not None}


def arch_want_facts(src: "Sources", arch: str,
                    env: dict[str, Optional[int]]) -> dict[str, Optional[int]]:
    facts: dict[str, Optional[int]] = {}
    local = dict(env)
    for h in ARCH_WANT_HEADERS:
        clean = src.stripped(h.format(a=arch))
        if clean is None:
            continue
        conds = condition_map(clean)
        for m in re.finditer(r"(?m)^[ \t]*#[ \t]*define[ \t]+(__ARCH_WANT_\w+)", clean):
            line = line_of(clean, m.start())
            v = eval_frames(conds[line], local)
            name = m.group(1)
            if v is True:
                facts[name] = 1
            elif v is None:
                if facts.get(name) != 1:
                    facts[name] = None  # unknown
            else:
                facts.setdefault(name, 0)
    facts["__ARCH_WANT_*"] = 0  # marker: any other __ARCH_WANT_ is off
    return facts


def view_env(src: "Sources", view: "View") -> dict[str, int]:
    env = dict(view.macros)
    arch = view.arch_dirs[0]
    env["CONFIG_" + ARCH_KCONFIG_SYMBOL[arch]] = 1
    env.update(kconfig_facts(src, arch, env))
    env.update(arch_want_facts(src, arch, env))
    return env


# ---------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------

_QUALIFIERS = re.compile(
    r"\b(const|volatile|restrict|__user|__force|__bitwise|__iomem|__rcu|"
    r"__kernel|__nocast|register)\b")
_ATTR = re.compile(r"__attribute__\s*\(\(.*?\)\)|__aligned\s*\([^)]*\)")
_INT_WORDS = {"unsigned", "signed", "char", "short", "int", "long", "_Bool"}


@dataclasses.dataclass(frozen=True)
class Width:
    bits: int
    category: str  # "int", "long" (long / unsigned long), "ptr"


def display_type(t: str) -> str:
    """The declared type as written, minus address-space annotations."""
    t = re.sub(r"\b(__user|__force)\b", " ", t)
    t = re.sub(r"\s*\*\s*", " *", t)
    return re.sub(r"\s+", " ", t).strip().replace("* *", "**")


def clean_type(t: str) -> str:
    t = _ATTR.sub(" ", t)
    t = _QUALIFIERS.sub(" ", t)
    t = re.sub(r"\b__signed__\b", "signed", t)
    t = re.sub(r"\s*\*\s*", " * ", t)
    return re.sub(r"\s+", " ", t).strip()


def base_width(words: list[str], long_bits: int) -> Optional[Width]:
    if not words or any(w not in _INT_WORDS for w in words):
        return None
    longs = words.count("long")
    if "char" in words:
        return Width(8, "int")
    if "_Bool" in words:
        return Width(8, "int")
    if "short" in words:
        return Width(16, "int")
    if longs >= 2:
        return Width(64, "int")
    if longs == 1:
        return Width(long_bits, "long")
    return Width(32, "int")


class TypeResolver:
    """Resolves a parameter type to its width under one kernel view."""

    def __init__(self, src: Sources, view: View, arch_dir: str, env: dict[str, int]):
        self.long_bits = 64 if view.kind in (LP64, COMPAT) else 32
        self.arch_dir = arch_dir
        self.typedefs: dict[str, tuple[str, str]] = {}  # name -> (rhs, where)
        env = dict(env)
        headers = list(view.posix_types) + list(TYPEDEF_HEADERS)
        for h in ARCH_TYPEDEF_HEADERS:
            headers.append(h.format(a=arch_dir))
        headers.append(GENERIC_SIGNAL_HEADER)
        # compat_* types are declared whether or not CONFIG_COMPAT is set
        # (ppc32 kernels use compat_size_t in arch/powerpc/kernel/
        # sys_ppc32.c).
        headers += [h.format(a=arch_dir) for h in COMPAT_HEADERS]
        for h in headers:
            text = src.stripped(h)
            if text is None:
                continue
            self._collect(text, h, env)

    def _collect(self, text: str, path: str, env: dict[str, int]) -> None:
        conds = condition_map(text)
        # #define X / #undef X change what later #ifndef X see.
        events = []
        for m in re.finditer(r"(?m)^[ \t]*#[ \t]*(define|undef)[ \t]+(\w+)(.*)$", text):
            events.append((m.start(), "pp", m))
        for m in re.finditer(r"\btypedef\b", text):
            events.append((m.start(), "td", m))
        events.sort(key=lambda e: e[0])
        for pos, kind, m in events:
            line = line_of(text, pos)
            if eval_frames(conds[line], env) is False:
                continue
            if kind == "pp":
                name = m.group(2)
                if m.group(1) == "undef":
                    env.pop(name, None)
                elif not m.group(3).startswith("("):
                    val = m.group(3).strip()
                    env[name] = int(val) if val.isdigit() else 1
                continue
            end = pos
            depth = 0
            while end < len(text):
                c = text[end]
                if c in "{(":
                    depth += 1
                elif c in "})":
                    depth -= 1
                elif c == ";" and depth == 0:
                    break
                end += 1
            stmt = re.sub(r"\s+", " ", text[pos + len("typedef"):end]).strip()
            stmt = re.sub(r"\{.*\}", "{}", stmt)
            name, rhs = self._declarator(stmt)
            if name and name not in self.typedefs:
                self.typedefs[name] = (rhs, f"{path}:{line}")

    @staticmethod
    def _declarator(stmt: str) -> tuple[Optional[str], str]:
        stmt = _ATTR.sub(" ", stmt).strip()
        m = re.search(r"\(\s*\*\s*(\w+)\s*\)\s*\(", stmt)
        if m:
            return m.group(1), "*"
        m = re.match(r"(.*?)\b(\w+)\s*\((.*)\)$", stmt)
        if m and m.group(1).strip():
            return m.group(2), "function"
        m = re.match(r"(.*?)\b(\w+)\s*\[.*\]$", stmt)
        if m:
            return m.group(2), "array"
        m = re.match(r"(.*?)\b(\w+)$", stmt)
        if not m:
            return None, ""
        return m.group(2), m.group(1).strip()

    def resolve(self, type_text: str) -> tuple[Width, list[str]]:
        """Width of a type, and the typedef chain that led to it."""
        t = clean_type(type_text)
        chain: list[str] = []
        for _ in range(16):
            if "*" in t or t.endswith("]"):
                return Width(64 if self.long_bits == 64 else 32, "ptr"), chain
            words = t.split()
            w = base_width(words, self.long_bits)
            if w:
                return w, chain
            if words and words[0] == "enum":
                return Width(32, "int"), chain
            if words and words[0] in ("struct", "union"):
                raise TypeError(f"aggregate passed by value: {type_text}")
            if len(words) != 1 or words[0] not in self.typedefs:
                raise TypeError(f"unknown type `{t}` (from `{type_text}`)")
            rhs, where = self.typedefs[words[0]]
            chain.append(f"{words[0]}={rhs} @{where}")
            if rhs in ("function", "array"):
                raise TypeError(f"{rhs} typedef used by value: {type_text}")
            if rhs.startswith("struct") or rhs.startswith("union"):
                if "*" in rhs:
                    return Width(64 if self.long_bits == 64 else 32, "ptr"), chain
                raise TypeError(f"aggregate typedef by value: {type_text}")
            t = clean_type(rhs)
        raise TypeError(f"typedef loop: {type_text}")

    def expected_bits(self, type_text: str) -> Optional[int]:
        t = clean_type(type_text)
        spec = EXPECTED_TYPE_BITS.get(t)
        if spec is None:
            return None
        if isinstance(spec, dict):
            spec = spec.get(self.arch_dir, spec["*"])
        if spec == "L":
            return self.long_bits
        return spec


# ---------------------------------------------------------------------------
# Definitions of entry points
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class Param:
    type: str
    name: str


@dataclasses.dataclass
class Definition:
    entries: tuple[str, ...]   # entry-point symbols this defines
    params: list[Param]
    path: str
    line: int
    frames: tuple              # preprocessor condition frames
    how: str                   # "SYSCALL_DEFINE3", "function", "prototype"
    raw_parts: Optional[list[str]] = None  # DEFINE macros: unexpanded fields
    nparams: int = 0
    entry_conds: dict = dataclasses.field(default_factory=dict)  # entry -> #if

    def holds(self, entry: str, env: dict) -> Optional[bool]:
        """Whether this definition provides `entry` in a build with `env`."""
        frames = self.frames
        if entry in self.entry_conds:
            frames = frames + (((), self.entry_conds[entry]),)
        return eval_frames(frames, env)

    @property
    def arch_dir(self) -> Optional[str]:
        parts = self.path.split("/")
        return parts[1] if parts[0] == "arch" else None

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


SCAN_SKIP_TOP = {"tools", "Documentation", "samples", "scripts", "usr", "rust",
                 "LICENSES", "arch"}
SCAN_SKIP_DIRS = {"arch/x86/um", "arch/x86/boot", "arch/arm/boot",
                  "arch/arm64/boot", "arch/mips/boot", "arch/powerpc/boot",
                  "arch/s390/boot", "arch/riscv/boot"}

_DEFINE_RE = re.compile(
    r"(?m)^[ \t]*((?:COMPAT_|PPC32_)?SYSCALL_DEFINE|SYSCALL32_DEFINE)([0-6])[ \t]*\(")
_MACRO_DEF_RE = re.compile(r"(?m)^[ \t]*#[ \t]*define[ \t]+(\w+)\(([^)]*)\)[ \t]*(.*)$")


class DefinitionIndex:
    def __init__(self, src: Sources, arch_dirs: list[str]):
        self.src = src
        self.arch_dirs = arch_dirs  # arch/<dir> trees to scan (others: never)
        self.by_entry: dict[str, list[Definition]] = {}
        self.param_macros: dict[str, list[tuple[list[str], str, str, tuple]]] = {}
        self.files: list[str] = []
        self._scan()

    def _walk(self) -> list[str]:
        out = []
        root = self.src.root
        tops = sorted(os.listdir(root))
        dirs = [t for t in tops if os.path.isdir(os.path.join(root, t))
                and t not in SCAN_SKIP_TOP]
        dirs += [f"arch/{a}" for a in self.arch_dirs]
        for d in dirs:
            for base, subdirs, names in os.walk(os.path.join(root, d)):
                rel = os.path.relpath(base, root)
                subdirs[:] = sorted(s for s in subdirs
                                    if f"{rel}/{s}" not in SCAN_SKIP_DIRS)
                for n in sorted(names):
                    if n.endswith((".c", ".h")):
                        out.append(f"{rel}/{n}")
        return out

    def _scan(self) -> None:
        self.files = self._walk()
        for rel in self.files:
            text = self.src.read(rel, record=False)
            if text is None:
                continue
            has_define = "SYSCALL_DEFINE" in text or "SYSCALL32_DEFINE" in text
            has_paste = "##" in text
            if not has_define and not has_paste:
                continue
            clean = strip_comments(text)
            conds = condition_map(clean)
            if has_paste:
                # Parameter-list macros (compat_arg_u64_dual, arg_u32p,
                # SC_ARG64): function-like, body pastes names and has commas.
                for m in _MACRO_DEF_RE.finditer(clean):
                    body = m.group(3)
                    if "##" not in body or "," not in body:
                        continue
                    line = line_of(clean, m.start())
                    self.param_macros.setdefault(m.group(1), []).append(
                        ([p.strip() for p in m.group(2).split(",")], body.strip(),
                         f"{rel}:{line}", conds[line]))
            if not has_define:
                continue
            for m in _DEFINE_RE.finditer(clean):
                try:
                    end = balanced(clean, m.end())
                except ValueError:
                    continue
                line = line_of(clean, m.start())
                macro, n = m.group(1), int(m.group(2))
                parts = split_top(clean[m.end():end - 1])
                name, raw = parts[0], parts[1:]
                entry_conds: dict[str, str] = {}
                if macro == "SYSCALL_DEFINE":
                    entries = (f"sys_{name}",)
                elif macro == "COMPAT_SYSCALL_DEFINE":
                    entries = (f"compat_sys_{name}",)
                else:
                    # arch/powerpc/kernel/sys_ppc32.c: PPC32_SYSCALL_DEFINEn
                    # is SYSCALL_DEFINEn on CONFIG_PPC32, else
                    # COMPAT_SYSCALL_DEFINEn; include/linux/syscalls.h:
                    # SYSCALL32_DEFINEn is COMPAT_SYSCALL_DEFINEn on
                    # CONFIG_COMPAT, else SYSCALL_DEFINEn.
                    entries = (f"sys_{name}", f"compat_sys_{name}")
                    on = "CONFIG_PPC32" if macro.startswith("PPC32") else "!CONFIG_COMPAT"
                    off = on[1:] if on.startswith("!") else "!" + on
                    entry_conds = {entries[0]: f"{on}", entries[1]: f"{off}"}
                    entry_conds = {k: re.sub(r"(CONFIG_\w+)", r"defined(\1)", v)
                                   for k, v in entry_conds.items()}
                d = Definition(entries, [], rel, line, conds[line], f"{macro}{n}",
                               raw_parts=raw, nparams=n, entry_conds=entry_conds)
                for e in entries:
                    self.by_entry.setdefault(e, []).append(d)

    def params(self, d: Definition, env: dict[str, int]) -> list[Param]:
        """The definition's parameters, parameter macros expanded for `env`."""
        if d.raw_parts is None:
            return d.params
        parts = self.expand(d.raw_parts, env)
        if len(parts) != 2 * d.nparams:
            raise SystemExit(f"{d.where()}: {d.how} has {len(parts)} type/name "
                             f"fields after macro expansion, expected {2 * d.nparams}")
        return [Param(parts[i], parts[i + 1]) for i in range(0, len(parts), 2)]

    def expand(self, parts: list[str], env: dict[str, int]) -> list[str]:
        """Expand parameter macros such as compat_arg_u64_dual(pos).

        Several definitions exist (lo/hi order by endianness); the one whose
        #if conditions hold under `env` wins, else the first.
        """
        out = []
        for p in parts:
            m = re.fullmatch(r"(\w+)\s*\((.*)\)", p)
            if m and m.group(1) in self.param_macros:
                defs = self.param_macros[m.group(1)]
                chosen = next((x for x in defs if eval_frames(x[3], env) is True),
                              defs[0])
                formals, body, where, _ = chosen
                self.src.record(where.rsplit(":", 1)[0])
                actuals = [a.strip() for a in m.group(2).split(",")]
                text = body
                for formal, actual in zip(formals, actuals):
                    text = re.sub(r"\b" + formal + r"\b", actual, text)
                text = re.sub(r"\s*##\s*", "", text)
                out.extend(split_top(text))
            else:
                out.append(p)
        return out

    _RET_PREFIX = re.compile(r"[ \t]*(?:asmlinkage[ \t]+)?(?:extern[ \t]+)?(?:static[ \t]+)?"
                             r"(?:inline[ \t]+)?(?:notrace[ \t]+)?(?:__\w+[ \t]+)*"
                             r"[A-Za-z_][\w \t\*]*")

    def functions(self, name: str, paths: list[str]) -> list[Definition]:
        """Plain C definitions / prototypes of `name` in `paths`."""
        found = []
        call = re.compile(r"\b" + re.escape(name) + r"[ \t]*\(")
        for rel in paths:
            clean = self.src.stripped(rel, record=False)
            if clean is None or name not in clean:
                continue
            conds = None
            for m in call.finditer(clean):
                line_start = clean.rfind("\n", 0, m.start()) + 1
                ret = clean[line_start:m.start()]
                if line_start == m.start() and line_start > 0:
                    # Return type on the line before ("asmlinkage int\nf(").
                    prev_start = clean.rfind("\n", 0, line_start - 1) + 1
                    ret = clean[prev_start:line_start - 1]
                # A return type on the same line, not a call inside code.
                if not self._RET_PREFIX.fullmatch(ret) or not ret.strip() or re.search(
                        r"\b(return|if|while|else|case|goto|define)\b|[=#]", ret):
                    continue
                try:
                    end = balanced(clean, m.end())
                except ValueError:
                    continue
                after = clean[end:end + 200].lstrip()
                if after.startswith("{"):
                    how = "function"
                elif after.startswith(";") or after.startswith("__"):
                    how = "prototype"
                else:
                    continue
                if conds is None:
                    conds = condition_map(clean)
                line = line_of(clean, m.start())
                params = parse_c_params(clean[m.end():end - 1])
                found.append(Definition((name,), params, rel, line, conds[line], how))
        return found


_C_TYPE_WORDS = _INT_WORDS | {"void", "struct", "union", "enum", "const",
                              "volatile", "__user"}


def parse_c_params(text: str) -> list[Param]:
    parts = split_top(text)
    if parts == ["void"] or parts == [""]:
        return []
    out = []
    for p in parts:
        if p.endswith("]"):
            name = re.sub(r"\[.*\]$", "", p).split()[-1]
            out.append(Param(p.rsplit(name, 1)[0].strip() + " *", name))
            continue
        toks = re.findall(r"\w+|\*", p)
        if len(toks) >= 2 and re.fullmatch(r"\w+", toks[-1]) and \
                toks[-1] not in _C_TYPE_WORDS and toks[-2] not in ("struct", "union", "enum"):
            name = toks[-1]
            typ = p[:p.rfind(name)].strip()
        else:
            name, typ = "", p
        out.append(Param(typ, name))
    return out


# ---------------------------------------------------------------------------
# Syscall tables
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class Row:
    nr: int
    name: str
    entry: str   # "" when absent
    line: int


def read_table(src: Sources, view: View) -> list[Row]:
    text = src.read(view.table)
    if text is None:
        raise SystemExit(f"missing table {view.table}")
    rows: dict[int, Row] = {}
    for i, line in enumerate(text.split("\n"), 1):
        s = line.split("#", 1)[0].split()
        if len(s) < 3 or (view.abis and s[1] not in view.abis):
            continue
        nr = int(s[0])
        entry = s[view.column] if len(s) > view.column else ""
        if entry in ("", "-") and view.fallback_column is not None and \
                len(s) > view.fallback_column:
            entry = s[view.fallback_column]
        if entry == "-":
            entry = ""
        if nr in rows:
            raise SystemExit(f"{view.table}:{i}: number {nr} listed twice for "
                             f"{view.abis}")
        rows[nr] = Row(nr, s[2], entry, i)
    return [rows[k] for k in sorted(rows)]


# Files whose aliases apply only to some kernel views: each builds one
# table. arch/arm64/kernel/sys.c builds the 64-bit sys_call_table (the
# AArch32 one is sys32.c); arch/mips/kernel/scall32-o32.S is the 32-bit
# kernel's o32 table (64-bit kernels use scall64-o32.S). Other alias files
# (csky syscall_table.c, m68k syscalltable.S) serve the arch's only table.
ALIAS_SCOPE = {
    "arch/arm64/kernel/sys.c": (LP64,),
    "arch/mips/kernel/scall32-o32.S": (NATIVE32,),
}


def arch_aliases(src: Sources, arch_dir: str) -> dict[str, tuple[str, str]]:
    """`#define sys_X sys_Y` in an arch's kernel sources: the syscall table
    names sys_X but the arch builds sys_Y in its place.

    e.g. arch/csky/kernel/syscall_table.c maps sys_fadvise64_64 to
    sys_csky_fadvise64_64, arch/m68k/kernel/syscalltable.S maps sys_mmap2 to
    sys_mmap_pgoff, arch/arm64/kernel/sys.c maps __arm64_sys_personality to
    __arm64_sys_arm64_personality (the ABI prefix is stripped on both sides).
    """
    out = {}
    pat = re.compile(r"(?m)^#define[ \t]+(?:__[a-z0-9]+_)?((?:compat_)?sys_\w+)[ \t]+"
                     r"(?:__[a-z0-9]+_)?(\w+)[ \t]*$")
    base = os.path.join(src.root, "arch", arch_dir, "kernel")
    for dirpath, dirs, names in os.walk(base):
        dirs.sort()
        for n in sorted(names):
            if not n.endswith((".c", ".S")):
                continue
            rel = os.path.relpath(os.path.join(dirpath, n), src.root)
            text = src.read(rel, record=False) or ""
            if "#define" not in text:
                continue
            for m in pat.finditer(text):
                out[m.group(1)] = (m.group(2), rel)
    return out


# ---------------------------------------------------------------------------
# Derivation
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class Arg:
    name: str
    type: str
    bits: int


@dataclasses.dataclass
class Derived:
    implemented: bool
    known: bool
    args: list[Arg]
    beyond_six: bool
    entry: str
    source: str
    note: str = ""
    paired: bool = False  # a 64-bit parameter was split by PAIR_RULES


class Deriver:
    def __init__(self, src: Sources, idx: DefinitionIndex):
        self.src = src
        self.idx = idx
        self.resolvers: dict[tuple, TypeResolver] = {}
        self.aliases: dict[str, dict[str, str]] = {}
        self.notes: list[str] = []
        self.type_checks: dict[tuple[str, str, int], int] = {}
        self.envs: dict[View, dict[str, int]] = {}
        self._cond: Optional[set[str]] = None
        self.narrow_seen: set = set()
        self._narrow_memo: dict = {}
        self.narrow_notes: list[str] = []
        self.applied_narrowing: set = set()

    def cond_syscalls(self) -> set[str]:
        if self._cond is None:
            text = strip_comments(self.src.read("kernel/sys_ni.c") or "")
            self._cond = {f"sys_{m.group(1)}" for m in
                          re.finditer(r"(?m)^\s*COND_SYSCALL\((\w+)\)", text)}
            self._cond |= {f"compat_sys_{m.group(1)}" for m in
                           re.finditer(r"(?m)^\s*COND_SYSCALL_COMPAT\((\w+)\)", text)}
        return self._cond

    def env(self, view: View) -> dict[str, int]:
        if view not in self.envs:
            self.envs[view] = view_env(self.src, view)
        return self.envs[view]

    def resolver(self, view: View) -> TypeResolver:
        key = (view.kind, view.arch_dirs[0], view.macros)
        if key not in self.resolvers:
            self.resolvers[key] = TypeResolver(self.src, view, view.arch_dirs[0],
                                               self.env(view))
        return self.resolvers[key]

    def candidate_paths(self, arch: str) -> list[str]:
        prefix = f"arch/{arch}/"
        own = [f for f in self.idx.files if f.startswith(prefix)]
        generic = ["include/linux/syscalls.h", "include/linux/compat.h",
                   "include/asm-generic/syscalls.h"]
        return own + generic

    def find(self, entry: str, view: View) -> tuple[Optional[Definition], str]:
        arch = view.arch_dirs[0]
        if arch not in self.aliases:
            self.aliases[arch] = arch_aliases(self.src, arch)
        target = entry
        if entry in self.aliases[arch]:
            alias, where = self.aliases[arch][entry]
            if view.kind in ALIAS_SCOPE.get(where, (view.kind,)):
                target = alias
                self.src.record(where)
        target = ASM_TRAMPOLINES.get((arch, target), target)
        env = self.env(view)
        if (arch, target) in NOT_IMPLEMENTED_ENTRIES or (arch, target) in ASM_ENTRY_PARAMS:
            return None, target
        cands = [d for d in self.idx.by_entry.get(target, [])
                 if d.arch_dir in (None, *view.arch_dirs)
                 and d.holds(target, env) is not False]
        if not cands:
            found = [d for d in self.idx.functions(target, self.candidate_paths(arch))
                     if d.holds(target, env) is not False]
            cands = [d for d in found if d.how == "function"]
            # A prototype alone (include/linux/syscalls.h declares every
            # sys_*) proves nothing for a cond_syscall: see derive().
            if not cands and target not in self.cond_syscalls():
                cands = found
        if not cands:
            return None, target
        # Arch-specific beats generic; a body beats a prototype; a known-true
        # condition beats an unknown one.
        def rank(d: Definition):
            return (d.arch_dir is None, d.how == "prototype",
                    d.holds(target, env) is not True)
        cands.sort(key=rank)
        best = cands[0]
        same_rank = [d for d in cands if rank(d) == rank(best)]
        sigs = {tuple(clean_type(p.type) for p in drop_regs(self.idx.params(d, env)))
                for d in same_rank}
        if len(sigs) > 1:
            self.notes.append(
                f"{view.table} {entry}: {len(same_rank)} equally ranked definitions "
                f"with different parameters ({', '.join(d.where() for d in same_rank)}); "
                f"using {best.where()}")
        return best, target

    def derive(self, abi: Abi, view: View, row: Row) -> Derived:
        if row.entry in ("", "sys_ni_syscall"):
            return Derived(False, True, [], False, row.entry or "-", "")
        d, target = self.find(row.entry, view)
        arch = view.arch_dirs[0]
        if (arch, target) in NOT_IMPLEMENTED_ENTRIES:
            return Derived(False, True, [], False, row.entry, "")
        if (arch, target) in ASM_ENTRY_PARAMS:
            src_file = ASM_ENTRY_SOURCE[(arch, target)]
            self.src.record(src_file)
            d = Definition((target,), [Param(t, n) for t, n in ASM_ENTRY_PARAMS[(arch, target)]],
                           src_file, 0, (), "asm")
        if d is None and target in self.cond_syscalls():
            # kernel/sys_ni.c: COND_SYSCALL(x) makes sys_x a weak alias of
            # sys_ni_syscall when nothing defines it for this build (R5).
            self.notes.append(f"{abi.name}/{view.kind}: {row.name}: no `{target}` "
                              f"for this arch; cond_syscall makes it sys_ni_syscall")
            return Derived(False, True, [], False, row.entry, "kernel/sys_ni.c")
        if d is None:
            return Derived(True, False, [], False, row.entry, "",
                           note=f"no definition of {target} found")
        self.src.record(d.path)
        res = self.resolver(view)
        slots: list[Arg] = []
        paired = False
        for p in drop_regs(self.idx.params(d, self.env(view))):
            try:
                w, chain = res.resolve(p.type)
            except TypeError as e:
                raise SystemExit(f"{d.where()}: {abi.name}/{view.kind}: {e}")
            for c in chain:
                self.src.record(c.rsplit("@", 1)[1].rsplit(":", 1)[0])
            self.check_expected(res, view, p.type, w, d)
            paired |= self.place(abi, view, slots, p, w, d)
        if view.kind == LP64:
            self.apply_narrowing(abi, view, d, target, slots)
        beyond = len(slots) > 6
        entry = row.entry if target == row.entry else f"{row.entry} -> {target}"
        return Derived(True, True, slots[:6], beyond, entry, d.where(), paired=paired)

    _NOT_CALLS = {"if", "while", "for", "switch", "return", "sizeof", "typeof",
                  "__typeof__", "defined", "likely", "unlikely", "READ_ONCE",
                  "WRITE_ONCE"}

    def body_of(self, d: Definition) -> Optional[str]:
        """The `{...}` body of a definition (None for prototypes / asm)."""
        if d.how in ("prototype", "asm") or not d.line:
            return None
        text = self.src.stripped(d.path) or ""
        pos = 0
        for _ in range(d.line - 1):
            pos = text.index("\n", pos) + 1
        open_paren = text.index("(", pos)
        end = balanced(text, open_paren + 1)
        m = re.compile(r"\s*\{").match(text, end)
        if not m:
            return None
        depth, i = 0, m.end() - 1
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    return text[m.end():i]
            i += 1
        return None

    def narrowings(self, view: View, d: Definition, name: str, bits: int,
                   depth: int = 0) -> list[str]:
        """R7 detector: uses of parameter `name` that read fewer bits."""
        key = (d.path, d.line, name, bits, depth)
        if key in self._narrow_memo:
            return self._narrow_memo[key]
        self._narrow_memo[key] = []
        result = self._narrowings(view, d, name, bits, depth)
        self._narrow_memo[key] = result
        return result

    def _narrowings(self, view: View, d: Definition, name: str, bits: int,
                    depth: int) -> list[str]:
        body = self.body_of(d)
        if body is None or not name:
            return []
        found = []
        for m in re.finditer(r"\b" + re.escape(name) + r"\s*&\s*(0x[0-9a-fA-F]+|\d+)[uUlL]*\b",
                             body):
            mask = int(m.group(1), 0)
            if mask.bit_length() < bits:
                found.append(f"masked with {m.group(1)} ({d.where()})")
        for m in re.finditer(r"\b([A-Za-z_]\w*)\s*\(", body):
            callee = m.group(1)
            if callee in self._NOT_CALLS:
                continue
            try:
                end = balanced(body, m.end())
            except ValueError:
                continue
            args = split_top(body[m.end():end - 1])
            for k, a in enumerate(args):
                if re.sub(r"^\((?:[\w\s\*]+)\)\s*", "", a).strip() != name:
                    continue
                paths = [d.path, "include/linux/syscalls.h"]
                protos = [p for p in self.idx.functions(callee, paths) if len(p.params) > k]
                protos.sort(key=lambda p: p.how != "function")
                if not protos:
                    continue
                proto = protos[0]
                try:
                    w, _ = self.resolver(view).resolve(proto.params[k].type)
                except TypeError:
                    continue
                if w.bits < bits:
                    found.append(f"passed to {callee}({display_type(proto.params[k].type)}) "
                                 f"({proto.where()})")
                elif depth < 1 and proto.how == "function":
                    found += [f"via {callee}: {x}" for x in
                              self.narrowings(view, proto, proto.params[k].name, bits, depth + 1)]
        return found

    def check_expected(self, res: TypeResolver, view: View, type_text: str,
                       w: Width, d: Definition) -> None:
        t = clean_type(type_text)
        if w.category == "ptr" or base_width(t.split(), res.long_bits):
            return  # pointers and C base types: the data model decides
        exp = res.expected_bits(type_text)
        if exp is None:
            raise SystemExit(f"{d.where()}: type `{t}` ({w.bits} bits on "
                             f"{res.arch_dir}/{view.kind}) is not in "
                             f"EXPECTED_TYPE_BITS; check its definition and add it")
        if exp != w.bits:
            raise SystemExit(f"{d.where()}: type `{t}` resolves to {w.bits} bits on "
                             f"{res.arch_dir}/{view.kind} but EXPECTED_TYPE_BITS "
                             f"says {exp}")
        self.type_checks[(t, res.arch_dir, res.long_bits)] = w.bits

    def apply_narrowing(self, abi: Abi, view: View, d: Definition, target: str,
                        slots: list[Arg]) -> None:
        arch = view.arch_dirs[0]
        for k, a in enumerate(slots):
            key = (arch, target, a.name)
            if key in BODY_NARROWING:
                slots[k] = Arg(a.name, a.type, BODY_NARROWING[key])
                self.applied_narrowing.add(key)
                continue
            if a.bits <= 32 or (d.path, d.line, a.name) in self.narrow_seen:
                continue
            self.narrow_seen.add((d.path, d.line, a.name))
            for why in self.narrowings(view, d, a.name, a.bits):
                self.narrow_notes.append(f"{target} `{a.type} {a.name}` ({d.where()}): {why}")

    def place(self, abi: Abi, view: View, slots: list[Arg], p: Param, w: Width,
              d: Definition) -> bool:
        """Append the registers `p` occupies; True when a pair rule split it."""
        t = display_type(p.type)
        if view.kind == LP64:
            slots.append(Arg(p.name, t, w.bits))
            return False
        if view.kind == COMPAT:
            if w.category == "ptr":
                # s390 compat masks pointers to 31 bits (R3).
                bits = 31 if "s390" in view.arch_dirs else 32
            elif w.category == "long":
                bits = 32
            elif w.bits > 32:
                # A native entry reused by a compat table with a 64-bit
                # parameter: the 64-bit kernel reads it from ONE register
                # that holds 32 bits for this task (the native 32-bit kernel
                # reads two). Recorded as the compat kernel sees it; the
                # cross-check with the native view reports the mismatch.
                self.notes.append(f"{abi.name}: `{d.entries[0]}` ({d.where()}) declares "
                                  f"{w.bits}-bit `{t} {p.name}`; a compat task's "
                                  f"register holds 32 bits")
                bits = 32
            else:
                bits = w.bits
            slots.append(Arg(p.name, t, bits))
            return False
        # NATIVE32
        if w.bits <= 32:
            slots.append(Arg(p.name, t, w.bits))
            return False
        rule = PAIR_RULES[abi.pair_rule]
        if rule == "aligned" and len(slots) % 2:
            slots.append(Arg("(pad)", "register pair alignment", 32))
        elif rule == "sh" and len(slots) == 3:
            slots.append(Arg("(pad)", "r7 unused before a stacked pair", 32))
        halves = [f"{p.name}.hi", f"{p.name}.lo"]
        if not abi.big_endian:
            halves.reverse()
        for h in halves:
            slots.append(Arg(h, t, 32))
        return True


def drop_regs(params: list[Param]) -> list[Param]:
    """R6: struct pt_regs * parameters are not user arguments."""
    return [p for p in params if "pt_regs" not in p.type]


# ---------------------------------------------------------------------------
# Per-ABI assembly
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class Entry:
    nr: int
    name: str
    d: Derived


def derive_abi(abi: Abi, der: Deriver, notes: list[str]) -> list[Entry]:
    per_view = []
    for view in abi.views:
        rows = {r.nr: r for r in read_table(der.src, view)}
        per_view.append((view, rows))
    numbers = sorted(set().union(*[set(rows) for _, rows in per_view]))
    out = []
    pair_checks: list[str] = []
    for nr in numbers:
        results = []
        for view, rows in per_view:
            row = rows.get(nr)
            if row is None:
                continue
            results.append((view, row, der.derive(abi, view, row)))
        names = {row.name for _, row, _ in results}
        if len(names) > 1:
            notes.append(f"{abi.name} nr {nr}: names differ between kernels: "
                         f"{sorted(names)}; using {results[0][1].name}")
        view, row, chosen = results[0]
        # Views in order of preference; a later one fills in when the first
        # has no definition or does not implement the call.
        for v2, r2, other in results[1:]:
            if not chosen.known or (not chosen.implemented and other.implemented):
                if other.known:
                    notes.append(f"{abi.name} {row.name}: {view.kind} entry "
                                 f"`{chosen.entry}` {'not implemented' if chosen.known else 'unknown'}; "
                                 f"using {v2.kind} entry `{other.entry}`")
                    chosen, view = other, v2
                continue
            if other.known and other.implemented and chosen.implemented:
                if other.paired and len(other.args) == len(chosen.args) \
                        and other.beyond_six == chosen.beyond_six:
                    pair_checks.append(row.name)
                merged = cross_check(abi, row.name, chosen, view, other, v2, notes)
                chosen = merged
        if not chosen.known:
            notes.append(f"{abi.name} {row.name}: UNKNOWN ({chosen.note})")
        out.append(Entry(nr + abi.bias, row.name, chosen))
    if abi.pair_rule:
        rule = PAIR_RULES[abi.pair_rule]
        used = [e.name for e in out if e.d.paired]
        if len(abi.views) > 1:
            notes.append(f"pair rule `{rule}` agrees with the compat entry for "
                         f"{len(pair_checks)} syscalls: {' '.join(pair_checks) or '-'}")
        else:
            notes.append(f"pair rule `{rule}` not cross-checked (no 64-bit kernel "
                         f"runs {abi.name} tasks)")
        notes.append(f"pair rule `{rule}` decides the layout of {len(used)} entries: "
                     f"{' '.join(used) or '-'}")
    for nr, name, params in abi.private:
        args = [Arg(pn, pt, 32) for pn, pt in params]
        out.append(Entry(nr, name, Derived(True, True, args, False, f"ARM private {name}",
                                           ARM_PRIVATE_SOURCE)))
    return out


def cross_check(abi: Abi, name: str, a: Derived, va: View, b: Derived, vb: View,
                notes: list[str]) -> Derived:
    """Both kernels implement the call: slot layouts must agree (R4)."""
    if len(a.args) != len(b.args) or a.beyond_six != b.beyond_six:
        # Keep the layout that reads more registers: every register either
        # kernel reads is then described (all are <= 32 bits on these ABIs).
        wider, wv = (b, vb) if (len(b.args), b.beyond_six) > (len(a.args), a.beyond_six) \
            else (a, va)
        notes.append(f"{abi.name} {name}: DISAGREE {va.kind} `{a.entry}` "
                     f"{len(a.args)} slots ({a.source}) vs {vb.kind} `{b.entry}` "
                     f"{len(b.args)} slots ({b.source}); using {wv.kind}")
        return wider
    args = []
    for x, y in zip(a.args, b.args):
        if x.bits != y.bits:
            # The narrower read is what one of the kernels sees; a filter
            # that compares fewer bits cannot be bypassed on either.
            narrow = x if x.bits < y.bits else y
            notes.append(f"{abi.name} {name}: arg `{x.name or y.name}` is {x.bits} bits "
                         f"in {va.kind} and {y.bits} in {vb.kind}; using {narrow.bits}")
            args.append(Arg(x.name or y.name, x.type, narrow.bits))
        else:
            args.append(x)
    return dataclasses.replace(a, args=args)


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

def c_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def package_version(src_root: str, override: Optional[str]) -> str:
    if override:
        return override
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", PACKAGE],
                             capture_output=True, text=True, check=True)
        if out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return "unknown"


def kernel_version(src: Sources) -> str:
    text = src.read("Makefile") or ""
    vals = {}
    for key in ("VERSION", "PATCHLEVEL", "SUBLEVEL"):
        m = re.search(rf"(?m)^{key}\s*=\s*(\d+)", text)
        vals[key] = m.group(1) if m else "?"
    return f"{vals['VERSION']}.{vals['PATCHLEVEL']}.{vals['SUBLEVEL']}"


def render_abi(abi: Abi, entries: list[Entry], header: str) -> str:
    lines = [header,
             f"// ABI {abi.name} ({abi.enum}); nr includes the bias {abi.bias:#x}.",
             "// Views: " + "; ".join(
                 f"{v.kind} {v.table} ({','.join(v.abis) or 'all rows'}) "
                 f"column {v.column + 1}"
                 for v in abi.views),
             "// Each: {nr, name, entry, source, implemented, known, beyond_six, count,",
             "//        {{arg name, type, bits the kernel reads}, ...}}",
             ""]
    nrs = [e.nr for e in entries]
    if len(nrs) != len(set(nrs)):
        raise SystemExit(f"{abi.name}: duplicate syscall numbers")
    for e in sorted(entries, key=lambda e: e.nr):
        d = e.d
        args = ", ".join(f"{{{c_str(a.name)}, {c_str(a.type)}, {a.bits}}}" for a in d.args)
        args = f"{{{{{args}}}}}" if args else "{}"
        lines.append(
            f"{{{e.nr}u, {c_str(e.name)}, {c_str(d.entry)}, {c_str(d.source)}, "
            f"{str(d.implemented).lower()}, {str(d.known).lower()}, "
            f"{str(d.beyond_six).lower()}, {len(d.args)}, {args}}},")
    return "\n".join(lines) + "\n"


def read_post_list(path: Optional[str]) -> tuple[list[tuple], str]:
    """Syscalls newer than the sources (syscalls/data/post_6_12.txt, kept by
    tools/gen_syscall_tables.py): NAME NUMBER VERSION ABIS per line. They are
    in the syscall tables, so they get entries here, marked unknown: the
    6.12 sources do not define them."""
    if not path:
        return [], ""
    with open(path, "rb") as f:
        raw = f.read()
    rows = []
    for line in raw.decode("utf-8").split("\n"):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) != 4:
            raise SystemExit(f"{path}: bad line: {line!r}")
        name, number, version, abis = fields
        wanted = None if abis == "all" else set(abis.split(","))
        rows.append((name, int(number), version, wanted))
    return rows, hashlib.sha256(raw).hexdigest()


def register_bits(abi: Abi) -> int:
    """Widest argument register the kernel reads for this ABI (R1-R3)."""
    return 64 if abi.views[0].kind == LP64 else 32


def render_registry(header: str, abis: tuple[Abi, ...]) -> str:
    lines = [header,
             "// Registry: one array per ABI, listed in ArchId order (checked by a",
             "// static_assert in syscalls/arg_widths.cc). Internal to that file.",
             ""]
    for abi in abis:
        lines += [f"namespace abi_{abi.name} {{",
                  "inline constexpr ArgInfo kInfos[] = {",
                  f'#include "syscalls/generated/arg_widths/{abi.name}.inc"',
                  "};",
                  f"}}  // namespace abi_{abi.name}"]
    lines += ["", "// {ABI, widest argument register the kernel reads, entries}",
              "inline constexpr AbiArgInfo kAbiArgInfo[] = {"]
    for abi in abis:
        lines.append(f"    {{ArchId::{abi.enum}, {register_bits(abi)}, abi_{abi.name}::kInfos}},")
    lines.append("};")
    return "\n".join(lines) + "\n"


def generate(src_root: str, version_override: Optional[str],
             post_list: Optional[str] = None,
             abis: tuple[Abi, ...] = ABIS) -> dict[str, str]:
    """Every output file, name -> content. `abis` is ABIS except in tests."""
    src = Sources(src_root)
    post_rows, post_sha = read_post_list(post_list)
    idx = DefinitionIndex(src, sorted({d for abi in abis for v in abi.views
                                       for d in v.arch_dirs}))
    der = Deriver(src, idx)
    pkg = package_version(src_root, version_override)
    kver = kernel_version(src)
    header = (f"// Generated by {TOOL} from {PACKAGE} {pkg} (Linux {kver}); "
              f"do not edit.\n// Regenerate (from the repository root): python3 {TOOL} "
              f"--src <kernel source>")
    files: dict[str, str] = {}
    all_notes: dict[str, list[str]] = {}
    counts = {}
    for abi in abis:
        notes: list[str] = []
        entries = derive_abi(abi, der, notes)
        have = {e.nr for e in entries}
        for name, number, version, wanted in post_rows:
            if wanted is not None and abi.name not in wanted:
                continue
            nr = number + abi.bias
            if nr in have:
                raise SystemExit(f"{post_list}: {name} {number} already in the "
                                 f"{abi.name} table")
            entries.append(Entry(nr, name, Derived(
                True, False, [], False, "", post_list,
                note=f"added in Linux {version}, after the sources")))
            notes.append(f"{abi.name} {name}: UNKNOWN (added in Linux {version}; "
                         f"not in the sources)")
        files[f"{abi.name}.inc"] = render_abi(abi, entries, header)
        all_notes[abi.name] = notes
        counts[abi.name] = (len(entries), sum(1 for e in entries if not e.d.known))
    files["registry.inc"] = render_registry(header, abis)
    for t in sorted({v.table for abi in abis for v in abi.views}):
        src.record(t)
    manifest = [f"# Inputs of {TOOL}; generated, do not edit.",
                f"package {PACKAGE} {pkg}",
                f"kernel {kver}",
                f"post-source syscalls {post_list or '-'} {post_sha or '-'}",
                "",
                "# entries per ABI (unknown)"]
    for abi in abis:
        n, unknown = counts[abi.name]
        manifest.append(f"abi {abi.name} {n} ({unknown})")
    manifest += ["", "# typedef widths resolved from the headers and checked against "
                     "EXPECTED_TYPE_BITS: bits (arch dirs; ilp32/lp64 data model)"]
    by_type: dict[str, dict[int, list[str]]] = {}
    for (t, arch, lb), bits in sorted(der.type_checks.items()):
        model = "lp64" if lb == 64 else "ilp32"
        by_type.setdefault(t, {}).setdefault(bits, []).append(f"{arch}/{model}")
    for t, per_bits in sorted(by_type.items()):
        manifest.append(f"type {t}: " + "; ".join(
            f"{bits} ({' '.join(where)})" for bits, where in sorted(per_bits.items())))
    manifest += ["", "# R7 body narrowing applied (BODY_NARROWING)"]
    manifest += [f"narrowed {a} {e} {p} -> {BODY_NARROWING[(a, e, p)]}"
                 for a, e, p in sorted(der.applied_narrowing)]
    dirs = {d for abi in abis for v in abi.views for d in v.arch_dirs}
    unused = sorted(k for k in set(BODY_NARROWING) - der.applied_narrowing if k[0] in dirs)
    if unused:
        raise SystemExit(f"BODY_NARROWING entries never matched: {unused}")
    manifest += ["", "# R7 detector: 64-bit parameters whose body reads fewer bits "
                     "on some path (review; not applied unless in BODY_NARROWING)"]
    manifest += [f"narrowing? {n}" for n in sorted(set(der.narrow_notes))]
    manifest += ["", "# definition choices"]
    manifest += [f"note {n}" for n in der.notes]
    manifest += ["", "# derivation notes"]
    for name, notes in all_notes.items():
        manifest += [f"note {name}: {n}" for n in notes]
    manifest += ["", "# sha256 of every file read"]
    for rel in sorted(src.used):
        manifest.append(f"{src.used[rel]}  {rel}")
    files["inputs.txt"] = "\n".join(manifest) + "\n"
    return files


def out_of_date(files: dict[str, str], out_dir: str) -> list[str]:
    """Names whose committed copy in out_dir differs from `files`."""
    bad = []
    for name, text in sorted(files.items()):
        try:
            with open(os.path.join(out_dir, name), encoding="utf-8") as f:
                if f.read() != text:
                    bad.append(name)
        except FileNotFoundError:
            bad.append(name)
    return bad


def write(files: dict[str, str], out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    for name, text in sorted(files.items()):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write(text)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default="/work/src/linux-source-6.12",
                    help="kernel source tree (Debian linux-source-6.12)")
    ap.add_argument("--out", default="syscalls/generated/arg_widths",
                    help="output directory")
    ap.add_argument("--package-version", default=None,
                    help="package version to record (default: dpkg-query)")
    ap.add_argument("--post-list", default="syscalls/data/post_6_12.txt",
                    help="syscalls newer than the sources (recorded as unknown); "
                         "'' to skip")
    ap.add_argument("--check", action="store_true",
                    help="fail if the files in --out differ from a fresh run")
    args = ap.parse_args(argv)
    files = generate(args.src, args.package_version, args.post_list or None)
    if args.check:
        bad = out_of_date(files, args.out)
        if bad:
            print(f"{TOOL}: out of date: {', '.join(bad)}", file=sys.stderr)
            return 1
        print(f"{TOOL}: {len(files)} files up to date")
        return 0
    write(files, args.out)
    print(f"{TOOL}: wrote {len(files)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

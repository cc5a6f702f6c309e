// The assembler: statements, labels, names in context, both formats, and
// error messages with exact line:column.
#include "bpf/asm.h"

#include <gtest/gtest.h>

#include <string>

#include "base/seccomp.h"
#include "bpf/insn.h"
#include "syscalls/arch.h"

namespace sysfence::bpf {
namespace {

using syscalls::Arch;
using syscalls::ArchId;

const Arch* abi(ArchId id) { return &syscalls::arch(id); }

Program assemble_ok(std::string_view text, const Arch* a = abi(ArchId::kX86_64)) {
  auto r = assemble(text, {.file_name = "f.s", .arch = a});
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? r->program : Program{};
}

std::string error_of(std::string_view text, const Arch* a = abi(ArchId::kX86_64), bool arch_explicit = false) {
  auto r = assemble(text, {.file_name = "f.s", .arch = a, .arch_explicit = arch_explicit});
  EXPECT_FALSE(r.has_value());
  return r ? std::string("(assembled)") : r.error().message;
}

TEST(Asm, HandWrittenProgramWithLabelsNamesAndComments) {
  const Program p = assemble_ok(R"(
# a typical filter
    A = arch
    if (A != ARCH_X86_64) goto kill     // wrong arch
    A = sys_number
    if (A == read) goto allow
    if (A >= 0x40000000) goto kill else goto check_open
check_open:
    if (A != open) goto deny
    A = args[1]
    A &= 0x3
    if (A == 0) goto allow
deny: return ERRNO(1)
allow:
    return ALLOW
kill:
    return KILL_PROCESS
)");
  const Program expected = {
      stmt(kLd | kW | kAbs, 4),
      jump(kJmp | kJeq | kK, 0xc000003e, 0, 9),
      stmt(kLd | kW | kAbs, 0),
      jump(kJmp | kJeq | kK, 0, 6, 0),
      jump(kJmp | kJge | kK, 0x40000000, 6, 0),
      jump(kJmp | kJeq | kK, 2, 0, 3),
      stmt(kLd | kW | kAbs, 24),
      stmt(kAlu | kAnd | kK, 3),
      jump(kJmp | kJeq | kK, 0, 1, 0),
      stmt(kRet | kRetK, kRetErrno | 1),
      stmt(kRet | kRetK, kRetAllow),
      stmt(kRet | kRetK, kRetKillProcess),
  };
  EXPECT_EQ(p, expected);
}

// seccomp-tools' spellings: its README's filter in the older ternary form
// (`next` is the following instruction), encoded by hand.
TEST(Asm, SeccompToolsTernaryForm) {
  const Program p = assemble_ok(R"(
    A = sys_number                # here's a comment, too
    A >= 0x40000000 ? dead : next # 'next' is the following instruction
    A == read ? ok : next
    A == 1 ? ok : next            # write on x86_64
    A != 0x3b ? next : dead       # != swaps the branches
    A & X ? dead : ok
    return ERRNO(1)
  dead:
    return KILL
  ok:
    return ALLOW
)");
  const Program expected = {
      stmt(kLd | kW | kAbs, 0),          jump(kJmp | kJge | kK, 0x40000000, 5, 0), jump(kJmp | kJeq | kK, 0, 5, 0),
      jump(kJmp | kJeq | kK, 1, 4, 0),   jump(kJmp | kJeq | kK, 0x3b, 2, 0),       jump(kJmp | kJset | kX, 0, 1, 2),
      stmt(kRet | kRetK, kRetErrno | 1), stmt(kRet | kRetK, kRetKillThread),       stmt(kRet | kRetK, kRetAllow),
  };
  EXPECT_EQ(p, expected);
}

// Its current form: if/goto/else with `next`, the same program as the
// ternary and as sysfence's own spelling.
TEST(Asm, SeccompToolsIfFormEqualsTernaryAndOwnForm) {
  const std::string tail = "return KILL\nok: return ALLOW\n";
  const Program if_form = assemble_ok("A = sys_number\nif (A == execve) goto ok else goto next\n" + tail);
  const Program ternary = assemble_ok("A = sys_number\nA == execve ? ok : next\n" + tail);
  const Program own = assemble_ok("A = sys_number\nif (A == execve) goto ok\n" + tail);
  const Program expected = {
      stmt(kLd | kW | kAbs, 0),
      jump(kJmp | kJeq | kK, 59, 1, 0),
      stmt(kRet | kRetK, kRetKillThread),
      stmt(kRet | kRetK, kRetAllow),
  };
  EXPECT_EQ(if_form, expected);
  EXPECT_EQ(ternary, expected);
  EXPECT_EQ(own, expected);
  // `if (A != 0x3b) goto kill`: the jump is taken when A == 0x3b fails.
  EXPECT_EQ(assemble_ok("A = sys_number\nif (A != 0x3b) goto kill\nreturn ALLOW\nkill: return KILL\n"),
            (Program{stmt(kLd | kW | kAbs, 0), jump(kJmp | kJeq | kK, 0x3b, 0, 1), stmt(kRet | kRetK, kRetAllow),
                     stmt(kRet | kRetK, kRetKillThread)}));
}

TEST(Asm, NextIsALabelWhenDefinedAndTernaryErrors) {
  // A program that names a label `next` keeps it.
  EXPECT_EQ(assemble_ok("A = sys_number\nA == 1 ? next : ok\nreturn KILL\nnext: return ERRNO(1)\nok: return ALLOW\n"),
            (Program{stmt(kLd | kW | kAbs, 0), jump(kJmp | kJeq | kK, 1, 1, 2), stmt(kRet | kRetK, kRetKillThread),
                     stmt(kRet | kRetK, kRetErrno | 1), stmt(kRet | kRetK, kRetAllow)}));
  EXPECT_EQ(error_of("A = sys_number\nA == 1 ? ok next\nok: return ALLOW\n"),
            "f.s:2:13: expected `:` and the target when the condition fails");
  EXPECT_EQ(error_of("A = sys_number\nA == 1 ? ok :\nok: return ALLOW\n"),
            "f.s:2:14: expected a jump target (a label or an instruction index)");
  EXPECT_EQ(error_of("A == 1 ? next : next\n"),
            "f.s:1:10: jump target next is past the end of the program (1 instructions)");
}

TEST(Asm, EveryStatementKind) {
  const Program p = assemble_ok(R"(
  A = sys_number
  A = arch
  A = instruction_pointer
  A = instruction_pointer >> 32
  A = args[5] >> 32
  A = data[0x3c]
  A = 7
  A = ARCH_AARCH64
  X = 0xffffffff
  A = mem[3]
  X = mem[15]
  A = len
  X = len
  mem[3] = A
  mem[0] = X
  X = A
  A = X
  A = -A
  A += 3
  A -= X
  A *= 10
  A /= X
  A %= 7
  A &= 0x7e020000
  A |= X
  A ^= 0xff
  A <<= X
  A >>= 12
  goto 0029
  if (A == X) goto 30
  if (A > 5) goto 0031
  if (!(A & 0x40000000)) goto 0032
  if (A <= X) goto 33 else goto 33
  if (A < 9) goto 34
  return ALLOW
  return ERRNO(0x10)
  return KILL
  return SECCOMP_RET_TRACE(3)
  return 0x12340000
  return A
  .insn 0x28 0 0 2
)");
  const Program expected = {
      stmt(kLd | kW | kAbs, 0),
      stmt(kLd | kW | kAbs, 4),
      stmt(kLd | kW | kAbs, 8),
      stmt(kLd | kW | kAbs, 12),
      stmt(kLd | kW | kAbs, 60),
      stmt(kLd | kW | kAbs, 60),
      stmt(kLd | kImm, 7),
      stmt(kLd | kImm, 0xc00000b7),
      stmt(kLdx | kImm, 0xffffffff),
      stmt(kLd | kMem, 3),
      stmt(kLdx | kMem, 15),
      stmt(kLd | kW | kLen, 0),
      stmt(kLdx | kW | kLen, 0),
      stmt(kSt, 3),
      stmt(kStx, 0),
      stmt(kMisc | kTax, 0),
      stmt(kMisc | kTxa, 0),
      stmt(kAlu | kNeg, 0),
      stmt(kAlu | kAdd | kK, 3),
      stmt(kAlu | kSub | kX, 0),
      stmt(kAlu | kMul | kK, 10),
      stmt(kAlu | kDiv | kX, 0),
      stmt(kAlu | kMod | kK, 7),
      stmt(kAlu | kAnd | kK, 0x7e020000),
      stmt(kAlu | kOr | kX, 0),
      stmt(kAlu | kXor | kK, 0xff),
      stmt(kAlu | kLsh | kX, 0),
      stmt(kAlu | kRsh | kK, 12),
      stmt(kJmp | kJa, 0),
      jump(kJmp | kJeq | kX, 0, 0, 0),
      jump(kJmp | kJgt | kK, 5, 0, 0),
      jump(kJmp | kJset | kK, 0x40000000, 0, 0),
      jump(kJmp | kJgt | kX, 0, 0, 0),
      jump(kJmp | kJge | kK, 9, 0, 0),
      stmt(kRet | kRetK, kRetAllow),
      stmt(kRet | kRetK, kRetErrno | 16),
      stmt(kRet | kRetK, kRetKillThread),
      stmt(kRet | kRetK, kRetTrace | 3),
      stmt(kRet | kRetK, 0x12340000),
      stmt(kRet | kRetA, 0),
      stmt(kLd | kH | kAbs, 2),
  };
  EXPECT_EQ(p, expected);
}

TEST(Asm, ListingFormatIsAccepted) {
  const Program p = assemble_ok(
      " line  CODE  JT   JF      K\n"
      "=================================\n"
      "0000: 0x20 0x00 0x00 0x00000004  A = arch\n"
      "0001: 0x15 0x00 0x02 0xc000003e  if (A != ARCH_X86_64) goto 0004\n"
      "0002: 0x20 0x00 0x00 0x00000000  A = sys_number\r\n"
      "0003: 0x06 0x00 0x00 0x7fff0000  return ALLOW\n"
      "0004: 0x06 0x00 0x00 0x80000000  return KILL_PROCESS\n");
  const Program expected = {
      stmt(kLd | kW | kAbs, 4),      jump(kJmp | kJeq | kK, 0xc000003e, 0, 2), stmt(kLd | kW | kAbs, 0),
      stmt(kRet | kRetK, kRetAllow), stmt(kRet | kRetK, kRetKillProcess),
  };
  EXPECT_EQ(p, expected);
}

TEST(Asm, UnusedFieldSuffix) {
  const Program p = assemble_ok(
      "X = A {jf=0xff k=0x10}\n"
      "A = arch {jt=1, jf=2}\n"
      "goto next {jt=1 jf=1}\n"
      "next: if (A == X) goto 4 {k=5}\n"
      "return A {k=1}\n");
  const Program expected = {
      Insn{kMisc | kTax, 0, 0xff, 0x10}, Insn{kLd | kW | kAbs, 1, 2, 4}, Insn{kJmp | kJa, 1, 1, 0},
      Insn{kJmp | kJeq | kX, 0, 0, 5},   Insn{kRet | kRetA, 0, 0, 1},
  };
  EXPECT_EQ(p, expected);
}

TEST(Asm, BigEndianArgumentWords) {
  // `.arch ppc64`: the high word of args[0] is at offset 16.
  EXPECT_EQ(assemble_ok(".arch ppc64\nA = args[0] >> 32\nA = args[0]\nA = instruction_pointer\n"
                        "return A\n",
                        nullptr),
            (Program{stmt(kLd | kW | kAbs, 16), stmt(kLd | kW | kAbs, 20), stmt(kLd | kW | kAbs, 12),
                     stmt(kRet | kRetA, 0)}));
  // Little-endian: the low word first.
  EXPECT_EQ(assemble_ok("A = args[0] >> 32\nA = args[0]\nreturn A\n", abi(ArchId::kAarch64)),
            (Program{stmt(kLd | kW | kAbs, 20), stmt(kLd | kW | kAbs, 16), stmt(kRet | kRetA, 0)}));
}

TEST(Asm, ArchCheckEstablishesNamesAndByteOrderOnItsPath) {
  // Default arch x86_64; past the ppc64 check the layout is big-endian, and
  // past the i386 check `open` is i386's 5, not x86_64's 2.
  const Program p = assemble_ok(R"(
    A = arch
    if (A == ARCH_I386) goto i386
    if (A != ARCH_PPC64) goto other
    A = args[0] >> 32
    return A
i386:
    A = sys_number
    if (A == open) goto other
    return ALLOW
other:
    A = sys_number
    if (A == open) goto out
out:
    return KILL_PROCESS
)");
  ASSERT_EQ(p.size(), 11U);
  EXPECT_EQ(p[3], stmt(kLd | kW | kAbs, 16));
  EXPECT_EQ(p[6].k, 5U);
  EXPECT_EQ(p[9].k, 2U);
}

TEST(Asm, QualifiedSyscallNames) {
  const Program p = assemble_ok("A = sys_number\nif (A == x32:write) goto 2\nreturn ALLOW\n", abi(ArchId::kAarch64));
  EXPECT_EQ(p[1].k, 0x40000001U);
  // Asked for x32, the plain name is x32's.
  EXPECT_EQ(assemble_ok("A = sys_number\nif (A == write) goto 2\nreturn ALLOW\n", abi(ArchId::kX32))[1].k, 0x40000001U);
}

TEST(Asm, ArchDirective) {
  auto r = assemble(".arch aarch64\nA = sys_number\nif (A == read) goto 2\nreturn ALLOW\n",
                    {.file_name = "f.s", .arch = abi(ArchId::kX86_64)});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->arch, abi(ArchId::kAarch64));
  EXPECT_EQ(r->program[1].k, 63U);
  EXPECT_EQ(r->positions[1].line, 3U);
  EXPECT_EQ(r->positions[1].column, 1U);

  EXPECT_EQ(error_of(".arch aarch64\nreturn ALLOW\n", abi(ArchId::kX86_64), /*arch_explicit=*/true),
            "f.s:1:7: the file is for arch aarch64 but x86_64 was asked for");
  EXPECT_EQ(error_of("return ALLOW\n.arch aarch64\n"), "f.s:2:1: `.arch` must come before the first instruction");
  EXPECT_EQ(error_of(".arch aarch46\nreturn ALLOW\n").substr(0, 37), "f.s:1:7: unknown architecture \"aarch4");
}

TEST(AsmErrors, UnknownStatementNamesLineAndColumn) {
  EXPECT_EQ(error_of("A = arch\n\n      A =+ 3  # oops\nreturn A\n"), "f.s:3:7: unknown statement \"A =+ 3\"");
  EXPECT_EQ(error_of("  lbl: B = 1\n"), "f.s:1:8: unknown statement \"B = 1\"");
  EXPECT_EQ(error_of("if (A == 1) goto 1 junk\n"), "f.s:1:1: unknown statement \"if (A == 1) goto 1 junk\"");
  EXPECT_EQ(error_of("return A\nA = @\n"), "f.s:2:5: unexpected character '@'");
  EXPECT_EQ(error_of("return A\nA = \xc3\xa9\n"), "f.s:2:5: unexpected byte 0xc3");
  EXPECT_EQ(error_of("return A # caf\xc3\xa9 is fine in a comment\n\tA = A\n"), "f.s:2:2: unknown statement \"A = A\"");
  // A runaway line is quoted only in part.
  EXPECT_EQ(error_of("A = 1 " + std::string(200, 'x') + "\n"),
            "f.s:1:1: unknown statement \"A = 1 " + std::string(74, 'x') + "...\"");
}

TEST(AsmErrors, Names) {
  EXPECT_EQ(error_of("A = sys_number\nif (A == reed) goto 2\nreturn ALLOW\n"),
            "f.s:2:10: unknown syscall \"reed\" for architecture x86_64");
  EXPECT_EQ(error_of("A = sys_number\nif (A == sparc:read) goto 2\nreturn ALLOW\n"),
            "f.s:2:10: unknown architecture \"sparc\" in \"sparc:read\"");
  EXPECT_EQ(error_of("A = sys_number\nif (A == read) goto 2\nreturn ALLOW\n", nullptr),
            "f.s:2:10: syscall name \"read\" needs an architecture: pass --arch, add `.arch "
            "NAME`, or check the arch before this instruction");
  EXPECT_EQ(error_of("A = arch\nif (A == read) goto 2\nreturn ALLOW\n"),
            "f.s:2:10: syscall name \"read\" compared with the arch word (A = arch); use an "
            "ARCH_* constant");
  EXPECT_EQ(error_of("A = args[1]\nreturn A\n", nullptr),
            "f.s:1:1: argument and instruction-pointer words need the byte order: pass --arch, "
            "add `.arch NAME`, or write `A = data[OFFSET]`");
  EXPECT_EQ(error_of("if (A == ARCH_VAX) goto 1\nreturn A\n"), "f.s:1:10: unknown arch constant \"ARCH_VAX\"");
  EXPECT_EQ(error_of("return ALOW\n"), "f.s:1:8: unknown action \"ALOW\"");
}

TEST(AsmErrors, Numbers) {
  EXPECT_EQ(error_of("A = 0x100000000\nreturn A\n"),
            "f.s:1:5: constant 0x100000000 is out of range (at most 0xffffffff)");
  EXPECT_EQ(error_of("A = 12abc\nreturn A\n"), "f.s:1:5: bad number \"12abc\"");
  EXPECT_EQ(error_of("A = args[6]\nreturn A\n"), "f.s:1:10: argument index 6 is out of range (at most 0x5)");
  EXPECT_EQ(error_of("A = args[1] >> 31\nreturn A\n"),
            "f.s:1:16: only `>> 32` (the high word) can follow a 64-bit field");
  EXPECT_EQ(error_of(".insn 0x10000 0 0 0\n"), "f.s:1:7: opcode 0x10000 is out of range (at most 0xffff)");
}

TEST(AsmErrors, Jumps) {
  EXPECT_EQ(error_of("goto nowhere\nreturn A\n"), "f.s:1:6: undefined label \"nowhere\"");
  EXPECT_EQ(error_of("x: A = 1\nif (A == 1) goto x\nreturn A\n"),
            "f.s:2:18: jump to x goes backwards: jumps go forward only (this is instruction 1)");
  EXPECT_EQ(error_of("goto 0000\nreturn A\n"),
            "f.s:1:6: jump to 0000 goes backwards: jumps go forward only (this is instruction 0)");
  EXPECT_EQ(error_of("goto 5\nreturn A\n"),
            "f.s:1:6: jump target 0005 is past the end of the program (2 instructions)");
  EXPECT_EQ(error_of("goto end\nreturn A\nend:\n"), "f.s:1:6: label \"end\" has no instruction after it");
  EXPECT_EQ(error_of("a: return A\na: return A\n"), "f.s:2:1: label \"a\" is already defined at line 1");

  // 255 ahead fits, 256 does not.
  std::string fits = "if (A == 1) goto far\n";
  for (int i = 0; i < 255; ++i) fits += "A = 0\n";
  fits += "far: return A\n";
  EXPECT_EQ(assemble_ok(fits)[0], jump(kJmp | kJeq | kK, 1, 255, 0));
  std::string too_far = "  A = 1\n  if (A == 1) goto 0002 else goto far\n";
  for (int i = 0; i < 256; ++i) too_far += "A = 0\n";
  too_far += "far: return A\n";
  EXPECT_EQ(error_of(too_far),
            "f.s:2:35: conditional jump to far is 256 instructions ahead; at most 255 fit in "
            "jt/jf (jump to a `goto far` placed within reach)");
  // `goto` reaches anywhere forward.
  std::string ja = "goto far\n";
  for (int i = 0; i < 1000; ++i) ja += "A = 0\n";
  ja += "far: return A\n";
  EXPECT_EQ(assemble_ok(ja)[0], stmt(kJmp | kJa, 1000));
}

TEST(AsmErrors, ListingConsistency) {
  EXPECT_EQ(error_of("0000: 0x20 0x00 0x00 0x00000004  A = arch\n"
                     "0002: 0x06 0x00 0x00 0x7fff0000  return ALLOW\n"),
            "f.s:2:1: line number 0002 does not match the instruction's index 1");
  EXPECT_EQ(error_of("0000: 0x20 0x00 0x00 0x00000004  A = arch\n"
                     "0001: 0x15 0x00 0x01 0x00000000  if (A != ARCH_X86_64) goto 0003\n"
                     "0002: 0x06 0x00 0x00 0x7fff0000  return ALLOW\n"
                     "0003: 0x06 0x00 0x00 0x00000000  return KILL_THREAD\n"),
            "f.s:2:7: the statement assembles to 0x15 0x00 0x01 0xc000003e but the columns say "
            "0x15 0x00 0x01 0x00000000");
  EXPECT_EQ(error_of("0000: 0x20 0x00 0x00 0x00000000  A = sys_number\n"
                     "0001: 0x15 0x00 0x01 0x00000003  if (A != read) goto 0003\n"
                     "0002: 0x06 0x00 0x00 0x7fff0000  return ALLOW\n"
                     "0003: 0x06 0x00 0x00 0x00000000  return KILL_THREAD\n",
                     abi(ArchId::kAarch64)),
            "f.s:2:7: the statement assembles to 0x15 0x00 0x01 0x0000003f but the columns say "
            "0x15 0x00 0x01 0x00000003 (syscall names were resolved for aarch64; is --arch right?)");
  EXPECT_EQ(error_of("0000: 0x06 0x00 0x00\n"), "f.s:1:21: expected K column (a number)");
  EXPECT_EQ(error_of("0000: 0x06 0x00 0x00 0x00000000\n"), "f.s:1:32: missing statement after the listing columns");
}

TEST(AsmErrors, UnusedFields) {
  EXPECT_EQ(error_of("if (A == 1) goto 1 {k=3}\nreturn A\n"), "f.s:1:21: field k is set by the statement itself");
  EXPECT_EQ(error_of("return A {jt=256}\n"), "f.s:1:14: jt 256 is out of range (at most 0xff)");
  EXPECT_EQ(error_of("return A {jt=1 jt=2}\n"), "f.s:1:16: field jt given twice");
  EXPECT_EQ(error_of("return A {jt=1\n"), "f.s:1:10: unterminated `{`");
}

TEST(AsmErrors, Empty) {
  EXPECT_EQ(error_of(""), "f.s: no instructions");
  EXPECT_EQ(error_of("# only a comment\nlabel:\n"), "f.s: no instructions");
}

}  // namespace
}  // namespace sysfence::bpf

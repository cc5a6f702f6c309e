// Golden disassembly of hand-written programs: one case per statement kind,
// arch naming (per path), byte order of argument words, unused fields.
#include "bpf/disasm.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/seccomp.h"
#include "bpf/insn.h"
#include "syscalls/arch.h"

namespace sysfence::bpf {
namespace {

using syscalls::Arch;
using syscalls::ArchId;

const Arch* abi(ArchId id) { return &syscalls::arch(id); }

constexpr uint32_t kAuditX86_64 = 0xc000003e;
constexpr uint32_t kAuditI386 = 0x40000003;
constexpr uint32_t kAuditAarch64 = 0xc00000b7;
constexpr uint32_t kAuditPpc64 = 0x80000015;

std::string listing(const Program& p, const Arch* a) {
  return disassemble(p, {.arch = a, .format = TextFormat::kListing});
}
std::string asm_text(const Program& p, const Arch* a) {
  return disassemble(p, {.arch = a, .format = TextFormat::kAsm});
}
// The statement of a one-instruction program followed by `ret`.
std::string one(Insn in, const Arch* a = abi(ArchId::kX86_64)) {
  Program p = {in, stmt(kRet | kRetK, kRetAllow)};
  return statements(p, a)[0];
}

TEST(Disasm, ListingOfATypicalFilter) {
  const Program p = {
      stmt(kLd | kW | kAbs, kOffsetArch),       jump(kJmp | kJeq | kK, kAuditX86_64, 0, 6),
      stmt(kLd | kW | kAbs, kOffsetNr),         jump(kJmp | kJeq | kK, 0, 3, 0),  // read
      jump(kJmp | kJeq | kK, 1, 2, 0),                                            // write
      jump(kJmp | kJge | kK, 0x40000000, 2, 0), stmt(kRet | kRetK, kRetAllow),
      stmt(kRet | kRetK, kRetErrno | 1),        stmt(kRet | kRetK, kRetKillProcess),
  };
  EXPECT_EQ(listing(p, abi(ArchId::kX86_64)),
            " line  CODE  JT   JF      K\n"
            "=================================\n"
            "0000: 0x20 0x00 0x00 0x00000004  A = arch\n"
            "0001: 0x15 0x00 0x06 0xc000003e  if (A != ARCH_X86_64) goto 0008\n"
            "0002: 0x20 0x00 0x00 0x00000000  A = sys_number\n"
            "0003: 0x15 0x03 0x00 0x00000000  if (A == read) goto 0007\n"
            "0004: 0x15 0x02 0x00 0x00000001  if (A == write) goto 0007\n"
            "0005: 0x35 0x02 0x00 0x40000000  if (A >= 0x40000000) goto 0008\n"
            "0006: 0x06 0x00 0x00 0x7fff0000  return ALLOW\n"
            "0007: 0x06 0x00 0x00 0x00050001  return ERRNO(1)\n"
            "0008: 0x06 0x00 0x00 0x80000000  return KILL_PROCESS\n");
}

TEST(Disasm, AsmFormatUsesLabelsAndNamesTheArch) {
  const Program p = {
      stmt(kLd | kW | kAbs, kOffsetArch), jump(kJmp | kJeq | kK, kAuditX86_64, 0, 3),
      stmt(kLd | kW | kAbs, kOffsetNr),   jump(kJmp | kJeq | kK, 0, 0, 1),
      stmt(kRet | kRetK, kRetAllow),      stmt(kRet | kRetK, kRetKillThread),
  };
  EXPECT_EQ(asm_text(p, abi(ArchId::kX86_64)),
            ".arch x86_64\n"
            "  A = arch\n"
            "  if (A != ARCH_X86_64) goto L0005\n"
            "  A = sys_number\n"
            "  if (A != read) goto L0005\n"
            "  return ALLOW\n"
            "L0005:\n"
            "  return KILL_THREAD\n");
  EXPECT_EQ(asm_text(p, nullptr).substr(0, 12), "  A = arch\n ");
}

// Every statement kind, one instruction each.
TEST(Disasm, EveryStatementKind) {
  struct Case {
    Insn insn;
    std::string text;
  };
  const std::vector<Case> cases = {
      {stmt(kLd | kW | kAbs, 0), "A = sys_number"},
      {stmt(kLd | kW | kAbs, 4), "A = arch"},
      {stmt(kLd | kW | kAbs, 8), "A = instruction_pointer"},
      {stmt(kLd | kW | kAbs, 12), "A = instruction_pointer >> 32"},
      {stmt(kLd | kW | kAbs, 16), "A = args[0]"},
      {stmt(kLd | kW | kAbs, 20), "A = args[0] >> 32"},
      {stmt(kLd | kW | kAbs, 56), "A = args[5]"},
      {stmt(kLd | kW | kAbs, 60), "A = args[5] >> 32"},
      {stmt(kLd | kW | kAbs, 64), "A = data[64]"},
      {stmt(kLd | kW | kAbs, 18), "A = data[18]"},
      {stmt(kLd | kImm, 7), "A = 7"},
      {stmt(kLd | kImm, 0x1234), "A = 0x1234"},
      {stmt(kLdx | kImm, 0xffffffff), "X = 0xffffffff"},
      {stmt(kLd | kMem, 3), "A = mem[3]"},
      {stmt(kLdx | kMem, 15), "X = mem[15]"},
      {stmt(kLd | kW | kLen, 0), "A = len"},
      {stmt(kLdx | kW | kLen, 0), "X = len"},
      {stmt(kSt, 3), "mem[3] = A"},
      {stmt(kStx, 0), "mem[0] = X"},
      {stmt(kMisc | kTax, 0), "X = A"},
      {stmt(kMisc | kTxa, 0), "A = X"},
      {stmt(kAlu | kNeg, 0), "A = -A"},
      {stmt(kAlu | kAdd | kK, 3), "A += 3"},
      {stmt(kAlu | kSub | kX, 0), "A -= X"},
      {stmt(kAlu | kMul | kK, 10), "A *= 0xa"},
      {stmt(kAlu | kDiv | kX, 0), "A /= X"},
      {stmt(kAlu | kMod | kK, 7), "A %= 7"},
      {stmt(kAlu | kAnd | kK, 0x7e020000), "A &= 0x7e020000"},
      {stmt(kAlu | kOr | kX, 0), "A |= X"},
      {stmt(kAlu | kXor | kK, 0xff), "A ^= 0xff"},
      {stmt(kAlu | kLsh | kX, 0), "A <<= X"},
      {stmt(kAlu | kRsh | kK, 12), "A >>= 12"},
      {stmt(kJmp | kJa, 0), "goto 0001"},
      {jump(kJmp | kJeq | kX, 0, 0, 0), "if (A == X) goto 0001"},
      {jump(kJmp | kJgt | kK, 5, 0, 0), "if (A > 5) goto 0001"},
      {jump(kJmp | kJset | kK, 0x40000000, 0, 0), "if (A & 0x40000000) goto 0001"},
      {stmt(kRet | kRetK, kRetAllow), "return ALLOW"},
      {stmt(kRet | kRetK, kRetErrno | 1), "return ERRNO(1)"},
      {stmt(kRet | kRetK, kRetKillProcess), "return KILL_PROCESS"},
      {stmt(kRet | kRetK, kRetKillThread), "return KILL_THREAD"},
      {stmt(kRet | kRetK, kRetTrap), "return TRAP"},
      {stmt(kRet | kRetK, kRetTrace | 7), "return TRACE(7)"},
      {stmt(kRet | kRetK, kRetLog), "return LOG"},
      {stmt(kRet | kRetK, kRetUserNotif), "return USER_NOTIF"},
      // Data the action does not carry, and an undefined action value.
      {stmt(kRet | kRetK, kRetAllow | 1), "return 0x7fff0001"},
      {stmt(kRet | kRetK, 0x12340000), "return 0x12340000"},
      {stmt(kRet | kRetA, 0), "return A"},
      // Not seccomp, not even classic BPF: printed raw.
      {stmt(kLd | kH | kAbs, 2), ".insn 0x28 0x00 0x00 0x00000002"},
      {Insn{0xffff, 1, 2, 3}, ".insn 0xffff 0x01 0x02 0x00000003"},
      {stmt(kRet | 0x08, 0), ".insn 0x0e 0x00 0x00 0x00000000"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(one(c.insn), c.text) << "code " << c.insn.code;
  }
}

TEST(Disasm, ConditionalSpellings) {
  // jt/jf combinations for each test: both branches, only true, only false.
  const Program p = {
      jump(kJmp | kJeq | kK, 9, 1, 2),   // 0
      jump(kJmp | kJeq | kK, 9, 0, 2),   // 1
      jump(kJmp | kJgt | kX, 0, 0, 1),   // 2
      jump(kJmp | kJge | kK, 9, 0, 1),   // 3
      jump(kJmp | kJset | kX, 0, 0, 1),  // 4
      jump(kJmp | kJgt | kK, 9, 1, 0),   // 5
      jump(kJmp | kJset | kK, 9, 0, 0),  // 6
      jump(kJmp | kJge | kX, 0, 1, 1),   // 7
      stmt(kRet | kRetK, 0),             // 8
      stmt(kRet | kRetK, 0),             // 9
  };
  const std::vector<std::string> s = statements(p, nullptr);
  EXPECT_EQ(s[0], "if (A == 9) goto 0002 else goto 0003");
  EXPECT_EQ(s[1], "if (A != 9) goto 0004");
  EXPECT_EQ(s[2], "if (A <= X) goto 0004");
  EXPECT_EQ(s[3], "if (A < 9) goto 0005");
  EXPECT_EQ(s[4], "if (!(A & X)) goto 0006");
  EXPECT_EQ(s[5], "if (A > 9) goto 0007");
  EXPECT_EQ(s[6], "if (A & 9) goto 0007");
  EXPECT_EQ(s[7], "if (A >= X) goto 0009 else goto 0009");
}

TEST(Disasm, UnusedFieldsArePrintedWhenNonZero) {
  EXPECT_EQ(one(Insn{kRet | kRetK, 3, 0, kRetAllow}), "return ALLOW {jt=3}");
  EXPECT_EQ(one(Insn{kMisc | kTax, 0, 0xff, 0x10}), "X = A {jf=0xff k=0x10}");
  EXPECT_EQ(one(Insn{kLd | kW | kAbs, 1, 2, 4}), "A = arch {jt=1 jf=2}");
  EXPECT_EQ(one(Insn{kJmp | kJa, 1, 1, 0}), "goto 0001 {jt=1 jf=1}");
  EXPECT_EQ(one(Insn{kJmp | kJeq | kX, 0, 0, 5}), "if (A == X) goto 0001 {k=5}");
  EXPECT_EQ(one(Insn{kLd | kW | kLen, 0, 0, 64}), "A = len {k=0x40}");
  EXPECT_EQ(one(Insn{kRet | kRetA, 0, 0, 1}), "return A {k=1}");
}

TEST(Disasm, BigEndianArgumentWords) {
  // On a big-endian ABI the high word of each 64-bit field comes first.
  const Arch* be = abi(ArchId::kPpc64);
  EXPECT_EQ(one(stmt(kLd | kW | kAbs, 16), be), "A = args[0] >> 32");
  EXPECT_EQ(one(stmt(kLd | kW | kAbs, 20), be), "A = args[0]");
  EXPECT_EQ(one(stmt(kLd | kW | kAbs, 8), be), "A = instruction_pointer >> 32");
  EXPECT_EQ(one(stmt(kLd | kW | kAbs, 12), be), "A = instruction_pointer");
  EXPECT_EQ(one(stmt(kLd | kW | kAbs, 56), be), "A = args[5] >> 32");
  EXPECT_EQ(one(stmt(kLd | kW | kAbs, 60), be), "A = args[5]");
  // Without an arch the byte order is unknown: raw offsets.
  EXPECT_EQ(one(stmt(kLd | kW | kAbs, 16), nullptr), "A = data[16]");
  EXPECT_EQ(one(stmt(kLd | kW | kAbs, 0), nullptr), "A = sys_number");
}

TEST(Disasm, ArchEstablishedOnAPathNamesThatPath) {
  // x86_64 + i386 in one filter: each section names its own syscalls and the
  // i386 section's argument words use i386's layout. Default arch aarch64
  // (big-endian would show too, but aarch64 differs in names).
  const Program p = {
      stmt(kLd | kW | kAbs, kOffsetArch),          // 0
      jump(kJmp | kJeq | kK, kAuditI386, 4, 0),    // 1 -> 6
      jump(kJmp | kJeq | kK, kAuditX86_64, 0, 7),  // 2 -> 10
      stmt(kLd | kW | kAbs, kOffsetNr),            // 3 (x86_64)
      jump(kJmp | kJeq | kK, 5, 5, 0),             // 4 fstat -> 10
      stmt(kRet | kRetK, kRetAllow),               // 5
      stmt(kLd | kW | kAbs, kOffsetNr),            // 6 (i386)
      jump(kJmp | kJeq | kK, 5, 0, 2),             // 7 open -> 10
      stmt(kLd | kW | kAbs, 20),                   // 8
      stmt(kRet | kRetA, 0),                       // 9
      stmt(kLd | kW | kAbs, kOffsetNr),            // 10 (join: arch unknown)
      jump(kJmp | kJeq | kK, 63, 0, 0),            // 11
      stmt(kRet | kRetK, kRetKillProcess),         // 12
  };
  const std::vector<std::string> s = statements(p, abi(ArchId::kAarch64));
  EXPECT_EQ(s[1], "if (A == ARCH_I386) goto 0006");
  EXPECT_EQ(s[2], "if (A != ARCH_X86_64) goto 0010");
  EXPECT_EQ(s[4], "if (A == fstat) goto 0010");
  EXPECT_EQ(s[7], "if (A != open) goto 0010");
  EXPECT_EQ(s[8], "A = args[0] >> 32");
  // Reached from the x86_64 path, the i386 path and the non-matching path:
  // no arch is established, the default arch (aarch64) names it.
  EXPECT_EQ(s[11], "if (A == read) goto 0012");
}

TEST(Disasm, JoinsDropWhatAHolds) {
  // Instruction 3 is reached with A = nr (from 1) and A = arch (from 2).
  const Program p = {
      stmt(kLd | kW | kAbs, kOffsetNr),              // 0
      jump(kJmp | kJeq | kK, 0, 1, 0),               // 1 -> 3 (A = nr)
      stmt(kLd | kW | kAbs, kOffsetArch),            // 2
      jump(kJmp | kJeq | kK, 0, 0, 0),               // 3: A unknown
      stmt(kLd | kW | kAbs, kOffsetNr),              // 4
      stmt(kAlu | kAnd | kK, 0xff),                  // 5: A modified
      jump(kJmp | kJeq | kK, 1, 0, 0),               // 6
      stmt(kLd | kW | kAbs, kOffsetArch),            // 7
      jump(kJmp | kJeq | kK, kAuditAarch64, 0, 0),   // 8
      jump(kJmp | kJset | kK, kAuditAarch64, 0, 0),  // 9: jset never names
      stmt(kRet | kRetK, kRetAllow),
  };
  const std::vector<std::string> s = statements(p, abi(ArchId::kX86_64));
  EXPECT_EQ(s[1], "if (A == read) goto 0003");
  EXPECT_EQ(s[3], "if (A == 0) goto 0004");
  EXPECT_EQ(s[6], "if (A == 1) goto 0007");
  EXPECT_EQ(s[8], "if (A == ARCH_AARCH64) goto 0009");
  EXPECT_EQ(s[9], "if (A & 0xc00000b7) goto 0010");
}

TEST(Disasm, UnknownArchValueNamesNothing) {
  const Program p = {
      stmt(kLd | kW | kAbs, kOffsetArch), jump(kJmp | kJeq | kK, 0x12345678, 0, 2),
      stmt(kLd | kW | kAbs, kOffsetNr),   jump(kJmp | kJeq | kK, 0, 0, 0),
      stmt(kRet | kRetK, kRetAllow),
  };
  const std::vector<std::string> s = statements(p, abi(ArchId::kX86_64));
  EXPECT_EQ(s[1], "if (A != 0x12345678) goto 0004");
  // Past the test the arch is 0x12345678, which no ABI reports: no names,
  // not the default arch's.
  EXPECT_EQ(s[3], "if (A == 0) goto 0004");
}

TEST(Disasm, DefaultArchOfTheSameAuditValueWins) {
  // x32 reports AUDIT_ARCH_X86_64: asked for x32, names are x32's.
  const Program p = {
      stmt(kLd | kW | kAbs, kOffsetArch), jump(kJmp | kJeq | kK, kAuditX86_64, 0, 2),
      stmt(kLd | kW | kAbs, kOffsetNr),   jump(kJmp | kJeq | kK, 0x40000001, 0, 0),
      stmt(kRet | kRetK, kRetAllow),
  };
  EXPECT_EQ(statements(p, abi(ArchId::kX32))[3], "if (A == write) goto 0004");
  EXPECT_EQ(statements(p, abi(ArchId::kX86_64))[3], "if (A == x32:write) goto 0004");
  EXPECT_EQ(statements(p, nullptr)[3], "if (A == x32:write) goto 0004");
  // As a range bound another ABI's name would mislead: a number.
  Program range = p;
  range[3] = jump(kJmp | kJge | kK, 0x40000000, 0, 0);
  EXPECT_EQ(statements(range, abi(ArchId::kX86_64))[3], "if (A >= 0x40000000) goto 0004");
  EXPECT_EQ(statements(range, abi(ArchId::kX32))[3], "if (A >= read) goto 0004");
}

TEST(Disasm, BigEndianPathFromTheArchCheck) {
  // Default arch x86_64 (little-endian), but the program establishes ppc64.
  const Program p = {
      stmt(kLd | kW | kAbs, kOffsetArch), jump(kJmp | kJeq | kK, kAuditPpc64, 0, 2),
      stmt(kLd | kW | kAbs, 16),          stmt(kRet | kRetA, 0),
      stmt(kLd | kW | kAbs, 16),          stmt(kRet | kRetA, 0),
  };
  const std::vector<std::string> s = statements(p, abi(ArchId::kX86_64));
  EXPECT_EQ(s[1], "if (A != ARCH_PPC64) goto 0004");
  EXPECT_EQ(s[2], "A = args[0] >> 32");
  EXPECT_EQ(s[4], "A = args[0]");
}

TEST(Disasm, JumpsPastTheEndStayNumeric) {
  const Program p = {stmt(kJmp | kJa, 7), jump(kJmp | kJeq | kK, 1, 200, 0)};
  EXPECT_EQ(asm_text(p, nullptr), "  goto 0008\n  if (A == 1) goto 0202\n");
}

TEST(Disasm, EmptyProgram) {
  EXPECT_EQ(listing({}, nullptr), " line  CODE  JT   JF      K\n=================================\n");
  EXPECT_EQ(asm_text({}, nullptr), "");
}

}  // namespace
}  // namespace sysfence::bpf

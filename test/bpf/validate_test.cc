// One group of cases per kernel rule: each rule is shown rejecting at the
// boundary and accepting just inside it. test/bpf/kernel_validate_test checks
// the same rules (and thousands of random programs) against the real kernel.
#include "bpf/validate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "base/seccomp.h"

namespace sysfence::bpf {
namespace {

constexpr Insn kReturnAllow = stmt(kRet | kRetK, 0x7fff0000);
constexpr Insn kReturnA = stmt(kRet | kRetA, 0);

std::optional<Rule> rule_of(const Program& p) {
  auto v = find_violation(p);
  if (!v) return std::nullopt;
  return v->rule;
}

size_t index_of(const Program& p) {
  auto v = find_violation(p);
  return v ? v->index : ~size_t{0};
}

TEST(Validate, Length) {
  EXPECT_EQ(rule_of({}), Rule::kLength);
  EXPECT_EQ(rule_of(Program(kMaxInsns + 1, kReturnAllow)), Rule::kLength);
  EXPECT_EQ(rule_of(Program(kMaxInsns, kReturnAllow)), std::nullopt);
  EXPECT_EQ(rule_of({kReturnAllow}), std::nullopt);
  EXPECT_EQ(rule_of({kReturnA}), std::nullopt);
  auto r = validate(Program{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "program has 0 instructions; the kernel accepts 1 to 4096 [length]");
}

TEST(Validate, OpcodeNotClassic) {
  for (uint16_t code : {0x0e, 0x08, 0x8c, 0x0d, 0x1e, 0x106, 0xffff, 0x98}) {
    Program p = {stmt(code, 0), kReturnAllow};
    EXPECT_EQ(rule_of(p), Rule::kOpcode) << std::hex << code;
    EXPECT_EQ(index_of(p), 0U);
  }
  auto r = validate(Program{stmt(0x0e, 0)});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "instruction 0: opcode 0x000e is not a classic BPF instruction [opcode]");
}

TEST(Validate, ClassicButNotSeccomp) {
  // MOD, byte/half absolute loads, indexed loads and MSH pass bpf_check_classic
  // but not seccomp_check_filter.
  for (uint16_t code : {0x94, 0x9c, 0x28, 0x30, 0x40, 0x48, 0x50, 0xb1}) {
    Program p = {stmt(kLd | kImm, 0), stmt(code, 4), kReturnAllow};
    EXPECT_EQ(rule_of(p), Rule::kSeccompOpcode) << std::hex << code;
    EXPECT_EQ(index_of(p), 1U);
  }
  auto r = validate(Program{stmt(0x94, 3), kReturnAllow});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "instruction 0: `mod #k` (opcode 0x0094) is classic BPF but not allowed in a "
            "seccomp filter [seccomp-opcode]");
}

TEST(Validate, OpcodeTables) {
  EXPECT_EQ(seccomp_opcodes().size(), 41U);
  int accepted = 0;
  for (uint32_t code = 0; code <= 0xffff; ++code) {
    const bool ok = seccomp_accepts_opcode(static_cast<uint16_t>(code));
    accepted += ok;
    EXPECT_EQ(ok, std::find(seccomp_opcodes().begin(), seccomp_opcodes().end(), code) != seccomp_opcodes().end());
  }
  EXPECT_EQ(accepted, 41);
  EXPECT_EQ(opcode_mnemonic(0x20), "ld [k]");
  EXPECT_EQ(opcode_mnemonic(0x1234), "opcode 0x1234");
}

TEST(Validate, SeccompDataLoads) {
  for (uint32_t k = 0; k < 64; k += 4) {
    EXPECT_EQ(rule_of({stmt(kLd | kW | kAbs, k), kReturnA}), std::nullopt) << k;
  }
  for (uint32_t k : {64U, 68U, 1U, 2U, 3U, 62U, 0xfffff000U, 0xfffff004U, 0xffffffffU}) {
    EXPECT_EQ(rule_of({stmt(kLd | kW | kAbs, k), kReturnA}), Rule::kLoadOffset) << k;
  }
  // `len` loads are rewritten to the constant 64; their k is ignored.
  EXPECT_EQ(rule_of({stmt(kLd | kW | kLen, 12345), stmt(kLdx | kW | kLen, 7), kReturnA}), std::nullopt);
}

TEST(Validate, DivisionByConstantZero) {
  EXPECT_EQ(rule_of({stmt(kAlu | kDiv | kK, 0), kReturnA}), Rule::kDivByZero);
  EXPECT_EQ(rule_of({stmt(kAlu | kDiv | kK, 1), kReturnA}), std::nullopt);
  // Division by X is checked at run time (returns 0), not here.
  EXPECT_EQ(rule_of({stmt(kAlu | kDiv | kX, 0), kReturnA}), std::nullopt);
}

TEST(Validate, ConstantShifts) {
  for (uint16_t op : {kLsh, kRsh}) {
    EXPECT_EQ(rule_of({stmt(kAlu | op | kK, 31), kReturnA}), std::nullopt);
    EXPECT_EQ(rule_of({stmt(kAlu | op | kK, 32), kReturnA}), Rule::kShiftRange);
    EXPECT_EQ(rule_of({stmt(kAlu | op | kK, 0xffffffff), kReturnA}), Rule::kShiftRange);
    EXPECT_EQ(rule_of({stmt(kAlu | op | kX, 0xffffffff), kReturnA}), std::nullopt);
  }
}

TEST(Validate, ScratchIndex) {
  EXPECT_EQ(rule_of({stmt(kSt, 15), stmt(kLd | kMem, 15), kReturnA}), std::nullopt);
  EXPECT_EQ(rule_of({stmt(kSt, 16), kReturnA}), Rule::kScratchIndex);
  EXPECT_EQ(rule_of({stmt(kStx, 16), kReturnA}), Rule::kScratchIndex);
  EXPECT_EQ(rule_of({stmt(kSt, 0), stmt(kLd | kMem, 16), kReturnA}), Rule::kScratchIndex);
  EXPECT_EQ(rule_of({stmt(kSt, 0), stmt(kLdx | kMem, 0xffffffff), kReturnA}), Rule::kScratchIndex);
}

TEST(Validate, JumpRange) {
  // ja: target pc + 1 + k must exist.
  EXPECT_EQ(rule_of({stmt(kJmp | kJa, 1), kReturnA, kReturnA}), std::nullopt);
  EXPECT_EQ(rule_of({stmt(kJmp | kJa, 2), kReturnA, kReturnA}), Rule::kJumpRange);
  EXPECT_EQ(rule_of({stmt(kJmp | kJa, 0xffffffff), kReturnA, kReturnA}), Rule::kJumpRange);
  // Conditional: both targets must exist.
  EXPECT_EQ(rule_of({jump(kJmp | kJeq | kK, 0, 1, 0), kReturnA, kReturnA}), std::nullopt);
  EXPECT_EQ(rule_of({jump(kJmp | kJeq | kK, 0, 2, 0), kReturnA, kReturnA}), Rule::kJumpRange);
  EXPECT_EQ(rule_of({jump(kJmp | kJgt | kX, 0, 0, 2), kReturnA, kReturnA}), Rule::kJumpRange);
  EXPECT_EQ(rule_of({jump(kJmp | kJset | kK, 0, 255, 255), kReturnA}), Rule::kJumpRange);
  // jt/jf of ja are ignored, like k of a conditional jump's X form.
  EXPECT_EQ(rule_of({Insn{kJmp | kJa, 200, 200, 0}, kReturnA}), std::nullopt);
  auto r = validate(Program{jump(kJmp | kJeq | kK, 0, 0, 5), kReturnA});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "instruction 0: jeq #k +5 lands at 6, past the last instruction 1 (jt=0, jf=5) "
            "[jump-range]");
}

TEST(Validate, LastInstructionMustReturn) {
  EXPECT_EQ(rule_of({kReturnAllow, stmt(kLd | kImm, 0)}), Rule::kLastNotRet);
  EXPECT_EQ(index_of({kReturnAllow, stmt(kLd | kImm, 0)}), 1U);
  EXPECT_EQ(rule_of({stmt(kMisc | kTax, 0)}), Rule::kLastNotRet);
  // ret X is not an instruction at all.
  EXPECT_EQ(rule_of({stmt(kRet | kX, 0)}), Rule::kOpcode);
}

TEST(Validate, ScratchReadBeforeWrite) {
  EXPECT_EQ(rule_of({stmt(kLd | kMem, 0), kReturnA}), Rule::kScratchUninit);
  EXPECT_EQ(rule_of({stmt(kSt, 1), stmt(kLd | kMem, 0), kReturnA}), Rule::kScratchUninit);
  EXPECT_EQ(rule_of({stmt(kStx, 0), stmt(kLdx | kMem, 0), kReturnA}), std::nullopt);
  // Written on one branch only.
  const Program one_branch = {
      jump(kJmp | kJeq | kK, 1, 0, 1),  // 0
      stmt(kSt, 3),                     // 1
      stmt(kLd | kMem, 3),              // 2: reached from 0 without the store
      kReturnA,
  };
  EXPECT_EQ(rule_of(one_branch), Rule::kScratchUninit);
  EXPECT_EQ(index_of(one_branch), 2U);
  // Written on both branches.
  const Program both = {
      jump(kJmp | kJeq | kK, 1, 0, 2),  // 0
      stmt(kSt, 3),                     // 1
      stmt(kJmp | kJa, 1),              // 2
      stmt(kSt, 3),                     // 3
      stmt(kLd | kMem, 3),              // 4
      kReturnA,
  };
  EXPECT_EQ(rule_of(both), std::nullopt);
}

// The kernel's check is a single linear pass; these pin its quirks, which the
// validator must reproduce to accept exactly the same programs.
TEST(Validate, ScratchCheckQuirksMatchTheKernel) {
  // Code after `ja` that no jump reaches is never executed, and the kernel
  // lets it read anything.
  EXPECT_EQ(rule_of({stmt(kJmp | kJa, 1), stmt(kLd | kMem, 5), kReturnA}), std::nullopt);
  // State flows into the instruction after a `ret` as if it fell through, so a
  // read that every real path initialises is still rejected.
  const Program through_ret = {
      jump(kJmp | kJeq | kK, 5, 0, 2),  // 0: -> 1 / 3
      stmt(kSt, 0),                     // 1
      stmt(kJmp | kJa, 1),              // 2: -> 4 with M[0] written
      stmt(kRet | kRetK, 1),            // 3: reached without the write
      stmt(kLd | kMem, 0),              // 4: only reached from 2
      kReturnA,
  };
  EXPECT_EQ(rule_of(through_ret), Rule::kScratchUninit);
  EXPECT_EQ(index_of(through_ret), 4U);
}

TEST(Validate, ReportsTheFirstBadInstruction) {
  const Program p = {stmt(kLd | kImm, 0), stmt(kAlu | kDiv | kK, 0), stmt(0x94, 1), kReturnA};
  EXPECT_EQ(rule_of(p), Rule::kDivByZero);
  EXPECT_EQ(index_of(p), 1U);
  for (Rule r : {Rule::kLength, Rule::kOpcode, Rule::kSeccompOpcode, Rule::kLoadOffset, Rule::kDivByZero,
                 Rule::kShiftRange, Rule::kScratchIndex, Rule::kJumpRange, Rule::kLastNotRet, Rule::kScratchUninit}) {
    EXPECT_NE(rule_name(r), "unknown");
  }
}

}  // namespace
}  // namespace sysfence::bpf

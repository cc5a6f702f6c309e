// The length the kernel charges a filter (its eBPF conversion), instruction
// kind by instruction kind; test/bpf/kernel_stack_limit_test checks the
// resulting limit against the running kernel.
#include "bpf/kernel_length.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/seccomp.h"

namespace sysfence::bpf {
namespace {

constexpr size_t kPrologue = 3;
constexpr Insn kRetAllowInsn = stmt(kRet | kRetK, kRetAllow);

struct Row {
  std::string what;
  Insn insn;
  size_t charged;  // eBPF instructions for this one classic instruction
};

const std::vector<Row>& rows() {
  static const std::vector<Row> table = {
      {"ret #k", stmt(kRet | kRetK, kRetAllow), 2},
      {"ret #0", stmt(kRet | kRetK, 0), 2},
      {"ret a", stmt(kRet | kRetA, 0), 1},
      {"ld [k] (seccomp_data)", stmt(kLd | kW | kAbs, kOffsetNr), 1},
      {"ld len", stmt(kLd | kW | kLen, 0), 1},
      {"ldx len", stmt(kLdx | kW | kLen, 0), 1},
      {"ld #k", stmt(kLd | kImm, 0x80000000U), 1},
      {"ldx #k", stmt(kLdx | kImm, 7), 1},
      {"ld M[k]", stmt(kLd | kMem, 3), 1},
      {"ldx M[k]", stmt(kLdx | kMem, 3), 1},
      {"st M[k]", stmt(kSt, 3), 1},
      {"stx M[k]", stmt(kStx, 3), 1},
      {"tax", stmt(kMisc | kTax, 0), 1},
      {"txa", stmt(kMisc | kTxa, 0), 1},
      {"add #k", stmt(kAlu | kAdd | kK, 1), 1},
      {"add #k, top bit set", stmt(kAlu | kAdd | kK, 0xffffffffU), 1},
      {"sub x", stmt(kAlu | kSub | kX, 0), 1},
      {"mul x", stmt(kAlu | kMul | kX, 0), 1},
      {"and #k", stmt(kAlu | kAnd | kK, 0xff), 1},
      {"or x", stmt(kAlu | kOr | kX, 0), 1},
      {"xor #k", stmt(kAlu | kXor | kK, 5), 1},
      {"lsh #k", stmt(kAlu | kLsh | kK, 3), 1},
      {"rsh x", stmt(kAlu | kRsh | kX, 0), 1},
      {"neg", stmt(kAlu | kNeg, 0), 1},
      {"div #k", stmt(kAlu | kDiv | kK, 3), 1},
      {"div x", stmt(kAlu | kDiv | kX, 0), 5},
      {"mod x", stmt(kAlu | kMod | kX, 0), 5},
      {"ja", stmt(kJmp | kJa, 0), 1},
      {"ja, far", stmt(kJmp | kJa, 0x80000000U), 1},
      // jf == 0: one jump whatever the test.
      {"jeq #k, jf 0", jump(kJmp | kJeq | kK, 5, 1, 0), 1},
      {"jset #k, jf 0", jump(kJmp | kJset | kK, 5, 1, 0), 1},
      {"jeq #k, jt 0 jf 0", jump(kJmp | kJeq | kK, 5, 0, 0), 1},
      // jt == 0, jf != 0: one inverted jump (jne, jle, jlt); jset has none.
      {"jeq #k, jt 0", jump(kJmp | kJeq | kK, 5, 0, 1), 1},
      {"jgt #k, jt 0", jump(kJmp | kJgt | kK, 5, 0, 1), 1},
      {"jge #k, jt 0", jump(kJmp | kJge | kK, 5, 0, 1), 1},
      {"jset #k, jt 0", jump(kJmp | kJset | kK, 5, 0, 1), 2},
      // Both branches jump: a jump and a ja.
      {"jeq #k, jt jf", jump(kJmp | kJeq | kK, 5, 1, 2), 2},
      {"jgt x, jt jf", jump(kJmp | kJgt | kX, 0, 1, 2), 2},
      {"jset x, jt 0", jump(kJmp | kJset | kX, 0, 0, 1), 2},
      // A constant with its top bit set goes through a temporary register.
      {"jeq #0x80000000, jf 0", jump(kJmp | kJeq | kK, 0x80000000U, 1, 0), 2},
      {"jeq #0x7fffffff, jf 0", jump(kJmp | kJeq | kK, 0x7fffffffU, 1, 0), 1},
      {"jge #0xffffffff, jt 0", jump(kJmp | kJge | kK, 0xffffffffU, 0, 1), 2},
      {"jset #0xc0000000, jt 0", jump(kJmp | kJset | kK, 0xc0000000U, 0, 1), 3},
      {"jgt #0x80000000, jt jf", jump(kJmp | kJgt | kK, 0x80000000U, 1, 1), 3},
      // With X as the operand K is ignored: no temporary.
      {"jeq x (k 0x80000000), jt jf", jump(kJmp | kJeq | kX, 0x80000000U, 1, 1), 2},
  };
  return table;
}

TEST(KernelLength, EachInstructionKind) {
  for (const Row& row : rows()) {
    // The instruction, then the return every filter ends with.
    const Program prog = {row.insn, kRetAllowInsn};
    EXPECT_EQ(kernel_charged_length(prog), kPrologue + row.charged + 2) << row.what;
  }
}

TEST(KernelLength, WholeProgramsAddUp) {
  Program all;
  size_t expected = kPrologue;
  for (const Row& row : rows()) {
    all.push_back(row.insn);
    expected += row.charged;
  }
  EXPECT_EQ(kernel_charged_length(all), expected);
  // The longest straight `ret` filter: 3 + 2 * 4096.
  EXPECT_EQ(kernel_charged_length(Program(kMaxInsns, kRetAllowInsn)), 8195U);
}

TEST(KernelLength, StackTotalCountsFourPerOlderFilter) {
  const Program rets(kMaxInsns, kRetAllowInsn);  // 8195 each
  const Program one = {kRetAllowInsn};           // 5
  EXPECT_EQ(kernel_charged_total(std::vector<Program>{}), 0U);
  EXPECT_EQ(kernel_charged_total(std::vector<Program>{one}), 5U);
  EXPECT_EQ(kernel_charged_total(std::vector<Program>{rets, one}), 8195U + 4 + 5);
  // Three of 4096 `ret`s fit, a fourth does not (24597 + 8195 = 32792).
  EXPECT_EQ(kernel_charged_total(std::vector<Program>(3, rets)), 3 * 8195U + 2 * 4);
  EXPECT_LE(kernel_charged_total(std::vector<Program>(3, rets)), kMaxInsnsPerPath);
  EXPECT_GT(kernel_charged_total(std::vector<Program>(4, rets)), kMaxInsnsPerPath);
}

}  // namespace
}  // namespace sysfence::bpf

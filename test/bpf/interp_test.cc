// Interpreter semantics, one instruction family at a time. The authority is
// the kernel: test/bpf/kernel_interp_test compares thousands of random
// programs against it; these cases pin each rule with a readable example.
#include "bpf/interp.h"

#include <gtest/gtest.h>

#include <vector>

#include "bpf/validate.h"
#include "test/bpf/random_program.h"

namespace sysfence::bpf {
namespace {

constexpr Insn kReturnA = stmt(kRet | kRetA, 0);

uint32_t eval(const Program& p, const SeccompWords& w = {}) {
  auto r = run(p, w);
  EXPECT_TRUE(r.has_value()) << (r.has_value() ? "" : r.error().message);
  return r.has_value() ? r->ret : 0xdeadbeef;
}

// A = <lhs>; X = <rhs>; A <op>= X; ret A — and the same with K.
uint32_t alu_x(uint16_t op, uint32_t lhs, uint32_t rhs) {
  return eval({stmt(kLd | kImm, lhs), stmt(kLdx | kImm, rhs), stmt(kAlu | op | kX, 0), kReturnA});
}
uint32_t alu_k(uint16_t op, uint32_t lhs, uint32_t k) {
  return eval({stmt(kLd | kImm, lhs), stmt(kAlu | op | kK, k), kReturnA});
}

TEST(Interp, RegistersStartAtZero) {
  EXPECT_EQ(eval({kReturnA}), 0U);
  EXPECT_EQ(eval({stmt(kMisc | kTxa, 0), kReturnA}), 0U);
}

TEST(Interp, ReturnConstantAndCount) {
  auto r = run(Program{stmt(kLd | kImm, 5), stmt(kRet | kRetK, 0x7fff0000)}, {});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->ret, 0x7fff0000U);
  EXPECT_EQ(r->insns, 2U);
  EXPECT_EQ(r->action(), Action::Allow());
}

TEST(Interp, LoadsSeccompDataWords) {
  SeccompWords w{};
  for (uint32_t i = 0; i < 16; ++i) w[i] = 0x1000 + i;
  for (uint32_t i = 0; i < 16; ++i) {
    EXPECT_EQ(eval({stmt(kLd | kW | kAbs, 4 * i), kReturnA}, w), 0x1000 + i);
  }
}

TEST(Interp, LenIsSixtyFour) {
  EXPECT_EQ(eval({stmt(kLd | kW | kLen, 0), kReturnA}), 64U);
  EXPECT_EQ(eval({stmt(kLdx | kW | kLen, 0), stmt(kMisc | kTxa, 0), kReturnA}), 64U);
}

TEST(Interp, ArithmeticIsUnsigned32BitWrapping) {
  EXPECT_EQ(alu_k(kAdd, 0xffffffff, 2), 1U);
  EXPECT_EQ(alu_x(kAdd, 0x80000000, 0x80000000), 0U);
  EXPECT_EQ(alu_k(kSub, 1, 2), 0xffffffffU);
  EXPECT_EQ(alu_x(kSub, 5, 3), 2U);
  EXPECT_EQ(alu_k(kMul, 0x10000, 0x10000), 0U);
  EXPECT_EQ(alu_x(kMul, 0xffffffff, 0xffffffff), 1U);
  EXPECT_EQ(alu_k(kDiv, 0xffffffff, 2), 0x7fffffffU);  // unsigned, not -1/2
  EXPECT_EQ(alu_x(kDiv, 100, 7), 14U);
  EXPECT_EQ(alu_k(kAnd, 0xf0f0, 0xff00), 0xf000U);
  EXPECT_EQ(alu_x(kOr, 0xf0, 0x0f), 0xffU);
  EXPECT_EQ(alu_k(kXor, 0xff, 0x0f), 0xf0U);
  EXPECT_EQ(alu_x(kXor, 0xffffffff, 0xffffffff), 0U);
  EXPECT_EQ(eval({stmt(kLd | kImm, 1), stmt(kAlu | kNeg, 0), kReturnA}), 0xffffffffU);
  EXPECT_EQ(eval({stmt(kLd | kImm, 0x80000000), stmt(kAlu | kNeg, 0), kReturnA}), 0x80000000U);
}

TEST(Interp, ShiftsByConstant) {
  EXPECT_EQ(alu_k(kLsh, 1, 31), 0x80000000U);
  EXPECT_EQ(alu_k(kRsh, 0x80000000, 31), 1U);  // logical, not arithmetic
  EXPECT_EQ(alu_k(kLsh, 0xffffffff, 4), 0xfffffff0U);
}

// Shift counts in X are taken modulo 32 (kernel interpreter: explicit `& 31`;
// x86-64 JIT: the CPU masks 32-bit shift counts). Confirmed against the
// running kernel by kernel_interp_test.
TEST(Interp, ShiftsByXUseTheLowFiveBits) {
  EXPECT_EQ(alu_x(kLsh, 1, 31), 0x80000000U);
  EXPECT_EQ(alu_x(kLsh, 1, 32), 1U);
  EXPECT_EQ(alu_x(kLsh, 1, 33), 2U);
  EXPECT_EQ(alu_x(kLsh, 3, 0xffffffff), 0x80000000U);
  EXPECT_EQ(alu_x(kRsh, 0x80000000, 32), 0x80000000U);
  EXPECT_EQ(alu_x(kRsh, 0x80000000, 63), 1U);
  EXPECT_EQ(alu_x(kRsh, 0x80000000, 64), 0x80000000U);
}

TEST(Interp, DivisionByZeroXReturnsZero) {
  const Program p = {stmt(kLd | kImm, 7), stmt(kAlu | kDiv | kX, 0), stmt(kRet | kRetK, 0x7fff0000)};
  auto r = run(p, {});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->ret, 0U);
  EXPECT_EQ(r->insns, 2U);  // the division is counted, the ret is not reached
  EXPECT_EQ(r->action(), Action::KillThread());
}

TEST(Interp, ComparisonsAreUnsigned) {
  // if A > K: ret 1 else ret 2
  const auto gt = [](uint32_t a, uint32_t k) {
    return eval({stmt(kLd | kImm, a), jump(kJmp | kJgt | kK, k, 0, 1), stmt(kRet | kRetK, 1), stmt(kRet | kRetK, 2)});
  };
  EXPECT_EQ(gt(0x80000000, 1), 1U);
  EXPECT_EQ(gt(1, 0x80000000), 2U);
  EXPECT_EQ(gt(5, 5), 2U);
  const auto ge_x = [](uint32_t a, uint32_t x) {
    return eval({stmt(kLd | kImm, a), stmt(kLdx | kImm, x), jump(kJmp | kJge | kX, 0, 0, 1), stmt(kRet | kRetK, 1),
                 stmt(kRet | kRetK, 2)});
  };
  EXPECT_EQ(ge_x(5, 5), 1U);
  EXPECT_EQ(ge_x(0xffffffff, 0), 1U);
  EXPECT_EQ(ge_x(0, 0xffffffff), 2U);
}

TEST(Interp, EqualityAndBitTests) {
  const auto jset = [](uint32_t a, uint32_t k) {
    return eval({stmt(kLd | kImm, a), jump(kJmp | kJset | kK, k, 0, 1), stmt(kRet | kRetK, 1), stmt(kRet | kRetK, 2)});
  };
  EXPECT_EQ(jset(0x10, 0x30), 1U);
  EXPECT_EQ(jset(0x10, 0x20), 2U);
  const auto jeq_x = [](uint32_t a, uint32_t x) {
    return eval({stmt(kLd | kImm, a), stmt(kLdx | kImm, x), jump(kJmp | kJeq | kX, 0, 1, 0), stmt(kRet | kRetK, 2),
                 stmt(kRet | kRetK, 1)});
  };
  EXPECT_EQ(jeq_x(7, 7), 1U);
  EXPECT_EQ(jeq_x(7, 8), 2U);
}

TEST(Interp, JumpAlwaysAndOffsets) {
  const Program p = {stmt(kJmp | kJa, 2), stmt(kRet | kRetK, 1), stmt(kRet | kRetK, 2), stmt(kRet | kRetK, 3)};
  auto r = run(p, {});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->ret, 3U);
  EXPECT_EQ(r->insns, 2U);
}

TEST(Interp, ScratchMemoryAndRegisterMoves) {
  EXPECT_EQ(eval({stmt(kLd | kImm, 11), stmt(kSt, 15), stmt(kLd | kImm, 0), stmt(kLdx | kMem, 15),
                  stmt(kMisc | kTxa, 0), kReturnA}),
            11U);
  EXPECT_EQ(eval({stmt(kLdx | kImm, 9), stmt(kStx, 0), stmt(kLd | kMem, 0), kReturnA}), 9U);
  EXPECT_EQ(eval({stmt(kLd | kImm, 4), stmt(kMisc | kTax, 0), stmt(kAlu | kAdd | kX, 0), kReturnA}), 8U);
}

TEST(Interp, IgnoresUnusedFields) {
  // jt/jf of a non-jump and k of `tax` / `ret a` carry garbage the kernel ignores.
  EXPECT_EQ(eval({Insn{kLd | kImm, 9, 9, 3}, Insn{kMisc | kTax, 1, 2, 77}, Insn{kAlu | kAdd | kX, 5, 5, 1000},
                  Insn{kRet | kRetA, 3, 3, 42}}),
            6U);
}

// The same filter reads different words for the same argument on little- and
// big-endian targets: "ld [16]" is the low half of args[0] on LE and the high
// half on BE. The interpreter sees only words; the layout is to_words'.
TEST(Interp, BigEndianArgumentWords) {
  SeccompData d;
  d.nr = 1;
  d.args[0] = 0x1122334455667788ULL;
  d.instruction_pointer = 0xaaaabbbbccccddddULL;
  const Program lo_of_arg0 = {stmt(kLd | kW | kAbs, arg_lo_offset(0, Endian::kBig)), kReturnA};
  const Program word16 = {stmt(kLd | kW | kAbs, 16), kReturnA};
  const Program word20 = {stmt(kLd | kW | kAbs, 20), kReturnA};
  auto interp16 = Interpreter::create(word16);
  auto interp20 = Interpreter::create(word20);
  ASSERT_TRUE(interp16.has_value() && interp20.has_value());
  EXPECT_EQ(interp16->run(d, Endian::kLittle).ret, 0x55667788U);
  EXPECT_EQ(interp20->run(d, Endian::kLittle).ret, 0x11223344U);
  EXPECT_EQ(interp16->run(d, Endian::kBig).ret, 0x11223344U);
  EXPECT_EQ(interp20->run(d, Endian::kBig).ret, 0x55667788U);
  EXPECT_EQ(Interpreter::create(lo_of_arg0)->run(d, Endian::kBig).ret, 0x55667788U);
  // Instruction pointer halves follow the same rule.
  const Program ip_hi_be = {stmt(kLd | kW | kAbs, 8), kReturnA};
  EXPECT_EQ(Interpreter::create(ip_hi_be)->run(d, Endian::kBig).ret, 0xaaaabbbbU);
  EXPECT_EQ(Interpreter::create(ip_hi_be)->run(d, Endian::kLittle).ret, 0xccccddddU);
  // A 64-bit "args[0] == 0x1122334455667788" check written for BE compares
  // word 16 with the high half and word 20 with the low half.
  const Program be_eq = {stmt(kLd | kW | kAbs, 16),     jump(kJmp | kJeq | kK, 0x11223344, 0, 3),
                         stmt(kLd | kW | kAbs, 20),     jump(kJmp | kJeq | kK, 0x55667788, 0, 1),
                         stmt(kRet | kRetK, kRetAllow), stmt(kRet | kRetK, kRetErrno | 1)};
  auto be = Interpreter::create(be_eq);
  ASSERT_TRUE(be.has_value());
  EXPECT_EQ(be->run(d, Endian::kBig).action(), Action::Allow());
  EXPECT_EQ(be->run(d, Endian::kLittle).action(), Action::Errno(1));
  EXPECT_EQ(run(be_eq, d, Endian::kBig)->action(), Action::Allow());
}

TEST(Interp, TraceRecordsPathAndRegisters) {
  const Program p = {stmt(kLd | kW | kAbs, 0), jump(kJmp | kJeq | kK, 3, 1, 0), stmt(kRet | kRetK, 1),
                     stmt(kMisc | kTax, 0), stmt(kRet | kRetK, 2)};
  auto interp = Interpreter::create(p);
  ASSERT_TRUE(interp.has_value());
  SeccompWords w{};
  w[0] = 3;
  std::vector<TraceStep> trace;
  const RunResult r = interp->run_traced(w, trace);
  EXPECT_EQ(r.ret, 2U);
  EXPECT_EQ(r.insns, 4U);
  ASSERT_EQ(trace.size(), 4U);
  EXPECT_EQ(trace[0].pc, 0);
  EXPECT_EQ(trace[0].a, 3U);
  EXPECT_EQ(trace[1].pc, 1);
  EXPECT_EQ(trace[2].pc, 3);
  EXPECT_EQ(trace[2].x, 3U);
  EXPECT_EQ(trace[3].pc, 4);
  EXPECT_EQ(interp->run(w), r);
}

TEST(Interp, RejectsInvalidPrograms) {
  auto r = Interpreter::create(Program{stmt(kLd | kMem, 0), kReturnA});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("scratch-uninit"), std::string::npos);
  EXPECT_FALSE(run(Program{}, {}).has_value());
}

TEST(Interp, LongProgramsReachEveryInstruction) {
  // 4096 instructions: 4095 `add #1` then `ret a`.
  Program p(kMaxInsns - 1, stmt(kAlu | kAdd | kK, 1));
  p.push_back(kReturnA);
  auto r = run(p, {});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->ret, 4095U);
  EXPECT_EQ(r->insns, 4096U);
}

// Random valid programs (no kernel involved; this also runs under the
// sanitizers): plain and traced runs agree, the trace is a forward path from
// instruction 0 that ends at a `ret`, and its length is the instruction count.
TEST(Interp, RandomProgramsRunConsistently) {
  testing::RandomProgramGenerator gen(2024);
  testing::RandomProgramOptions opts;
  opts.loadable_words = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  opts.constants = {0, 1, 2, 31, 32, 33, 0xffffffff};
  std::vector<TraceStep> trace;
  for (int n = 0; n < 3000; ++n) {
    const Program p = gen.valid(opts);
    auto interp = Interpreter::create(p);
    ASSERT_TRUE(interp.has_value()) << interp.error().message;
    for (int i = 0; i < 8; ++i) {
      SeccompWords w{};
      for (auto& word : w) word = gen.rng().chance(50) ? gen.rng().below(40) : gen.rng().next32();
      const RunResult plain = interp->run(w);
      const RunResult traced = interp->run_traced(w, trace);
      ASSERT_EQ(plain, traced);
      ASSERT_EQ(trace.size(), plain.insns);
      ASSERT_EQ(trace.front().pc, 0);
      for (size_t s = 1; s < trace.size(); ++s) ASSERT_GT(trace[s].pc, trace[s - 1].pc);
      const uint16_t last = p[trace.back().pc].code;
      const bool div_by_zero = last == (kAlu | kDiv | kX) && trace.back().x == 0;
      ASSERT_TRUE(insn_class(last) == kRet || div_by_zero);
      if (div_by_zero) {
        ASSERT_EQ(plain.ret, 0U);
      } else if (last == (kRet | kRetA)) {
        ASSERT_EQ(plain.ret, trace.back().a);
      } else {
        ASSERT_EQ(plain.ret, p[trace.back().pc].k);
      }
    }
  }
}

}  // namespace
}  // namespace sysfence::bpf

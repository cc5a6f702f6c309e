// The product-walk equivalence checker: BPF vs BPF and decision diagram vs
// BPF, proofs, confirmed counterexamples, the testing fallback, and
// mutation testing against an independent randomized tester.
#include "verify/equiv.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "bpf/interp.h"
#include "test/bpf/random_program.h"
#include "test/verify/support.h"
#include "verify/dag_pool.h"
#include "verify/decision.h"
#include "verify/symbolic.h"

namespace sysfence::verify {
namespace {

using testing::check_counterexamples;
using testing::find_difference;
using testing::mutate_once;

BpfProcedure make(bpf::Program p) {
  auto proc = BpfProcedure::create(std::move(p));
  EXPECT_TRUE(proc.has_value()) << (proc ? "" : proc.error().message);
  return std::move(*proc);
}

constexpr uint32_t kAudit = 0xc000003eU;

// Linear: arch check, then one jeq per syscall.
bpf::Program linear(const std::vector<std::pair<uint32_t, uint32_t>>& nr_ret, uint32_t fallback) {
  bpf::Program p = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, kOffsetArch), bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, kAudit, 1, 0),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetKillProcess), bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, kOffsetNr)};
  for (auto [nr, ret] : nr_ret) {
    p.push_back(bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, nr, 0, 1));
    p.push_back(bpf::stmt(bpf::kRet | bpf::kRetK, ret));
  }
  p.push_back(bpf::stmt(bpf::kRet | bpf::kRetK, fallback));
  return p;
}

TEST(Equiv, ProgramEqualsItself) {
  const BpfProcedure a = make(linear({{0, kRetAllow}, {59, kRetErrno | 1}, {60, kRetAllow}}, kRetErrno | 38));
  const EquivResult r = check_equivalent(a, a);
  EXPECT_EQ(r.verdict, EquivResult::Verdict::kEquivalent);
  EXPECT_TRUE(r.proved);
  EXPECT_EQ(r.paths, 5u);  // bad arch, three syscalls, the rest
  EXPECT_GT(r.word_constraints, 0u);
  EXPECT_TRUE(r.mismatches.empty());
  EXPECT_FALSE(r.tested);
}

TEST(Equiv, ReorderedChainIsEquivalent) {
  const BpfProcedure a = make(linear({{0, kRetAllow}, {59, kRetErrno | 1}, {60, kRetAllow}}, kRetErrno | 38));
  const BpfProcedure b = make(linear({{60, kRetAllow}, {0, kRetAllow}, {59, kRetErrno | 1}}, kRetErrno | 38));
  EXPECT_EQ(check_equivalent(a, b).verdict, EquivResult::Verdict::kEquivalent);
}

TEST(Equiv, RangeCheckEqualsPointChecks) {
  // nr in [10, 12] -> TRAP written as three jeq, or as jge/jgt.
  const BpfProcedure a = make(linear({{10, kRetTrap}, {11, kRetTrap}, {12, kRetTrap}}, kRetAllow));
  const bpf::Program range = {bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, kOffsetArch),
                              bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, kAudit, 1, 0),
                              bpf::stmt(bpf::kRet | bpf::kRetK, kRetKillProcess),
                              bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, kOffsetNr),
                              bpf::jump(bpf::kJmp | bpf::kJge | bpf::kK, 10, 0, 2),
                              bpf::jump(bpf::kJmp | bpf::kJgt | bpf::kK, 12, 1, 0),
                              bpf::stmt(bpf::kRet | bpf::kRetK, kRetTrap),
                              bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow)};
  const BpfProcedure b = make(range);
  EXPECT_EQ(check_equivalent(a, b).verdict, EquivResult::Verdict::kEquivalent);
  EXPECT_EQ(check_equivalent(b, a).verdict, EquivResult::Verdict::kEquivalent);
}

TEST(Equiv, DifferentReturnGivesConfirmedCounterexample) {
  const BpfProcedure a = make(linear({{0, kRetAllow}, {59, kRetErrno | 1}}, kRetAllow));
  const BpfProcedure b = make(linear({{0, kRetAllow}, {59, kRetErrno | 13}}, kRetAllow));
  const EquivResult r = check_equivalent(a, b);
  ASSERT_EQ(r.verdict, EquivResult::Verdict::kDifferent);
  ASSERT_EQ(r.mismatches.size(), 1u);
  const Mismatch& m = r.mismatches[0];
  EXPECT_EQ(m.input[0], 59u);
  EXPECT_EQ(m.input[1], kAudit);
  EXPECT_EQ(m.a_action, Action::Errno(1));
  EXPECT_EQ(m.b_action, Action::Errno(13));
  EXPECT_TRUE(m.region_known);
  EXPECT_EQ(m.region[0].pinned(), 59u);
  EXPECT_EQ(check_counterexamples(a, b, r), "");
}

TEST(Equiv, CollectsEveryDifferingRegion) {
  const BpfProcedure a = make(linear({{1, kRetAllow}, {2, kRetAllow}, {3, kRetAllow}}, kRetTrap));
  const BpfProcedure b = make(linear({{1, kRetTrap}, {2, kRetAllow}, {3, kRetLog}}, kRetTrap));
  EquivOptions o;
  o.max_mismatches = 100;
  const EquivResult r = check_equivalent(a, b, o);
  ASSERT_EQ(r.verdict, EquivResult::Verdict::kDifferent);
  std::set<uint32_t> nrs;
  for (const Mismatch& m : r.mismatches) nrs.insert(m.input[0]);
  EXPECT_EQ(nrs, (std::set<uint32_t>{1, 3}));
  EXPECT_EQ(check_counterexamples(a, b, r), "");
}

TEST(Equiv, SixtyFourBitArgumentSplit) {
  // arg0 > 0x1_0000_0005 as hi/lo words, two ways.
  const bpf::Program a_prog = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 20),        // args[0].hi (little-endian)
      bpf::jump(bpf::kJmp | bpf::kJgt | bpf::kK, 1, 3, 0),  // hi > 1 -> allow
      bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 1, 0, 3),  // hi == 1 ?
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16),        // lo
      bpf::jump(bpf::kJmp | bpf::kJgt | bpf::kK, 5, 0, 1), bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetErrno | 1),
  };
  const bpf::Program b_prog = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 20),
      bpf::jump(bpf::kJmp | bpf::kJge | bpf::kK, 2, 4, 0),  // hi >= 2 -> allow
      bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 1, 0, 4),
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16),
      bpf::jump(bpf::kJmp | bpf::kJge | bpf::kK, 6, 0, 2),  // lo >= 6
      bpf::jump(bpf::kJmp | bpf::kJa, 0, 0, 0),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetErrno | 1),
  };
  const BpfProcedure a = make(a_prog);
  const BpfProcedure b = make(b_prog);
  const EquivResult r = check_equivalent(a, b);
  EXPECT_EQ(r.verdict, EquivResult::Verdict::kEquivalent) << (r.mismatches.empty() ? "" : "mismatch");
  // Off by one in the low word (lo >= 5): only hi == 1, lo == 5 differs.
  bpf::Program c_prog = b_prog;
  c_prog[4].k = 5;
  const BpfProcedure c = make(c_prog);
  const EquivResult rc = check_equivalent(a, c);
  ASSERT_EQ(rc.verdict, EquivResult::Verdict::kDifferent);
  EXPECT_EQ(rc.mismatches[0].input[5], 1u);
  EXPECT_EQ(rc.mismatches[0].input[4], 5u);
  EXPECT_EQ(check_counterexamples(a, c, rc), "");
}

TEST(Equiv, SymbolicReturnDataAgainstConstants) {
  // A returns ERRNO(args[0].lo & 0xfff); B returns ERRNO(5) when that is 5
  // and ERRNO(7) otherwise: they agree where it is 5 or 7, nowhere else.
  const bpf::Program a_prog = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16), bpf::stmt(bpf::kAlu | bpf::kAnd | bpf::kK, 0xfff),
      bpf::stmt(bpf::kAlu | bpf::kOr | bpf::kK, kRetErrno), bpf::stmt(bpf::kRet | bpf::kRetA, 0)};
  const bpf::Program b_prog = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16), bpf::stmt(bpf::kAlu | bpf::kAnd | bpf::kK, 0xfff),
      bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 5, 0, 1), bpf::stmt(bpf::kRet | bpf::kRetK, kRetErrno | 5),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetErrno | 7)};
  const BpfProcedure a = make(a_prog);
  const BpfProcedure b = make(b_prog);
  EquivOptions o;
  o.max_mismatches = 10;
  const EquivResult r = check_equivalent(a, b, o);
  ASSERT_EQ(r.verdict, EquivResult::Verdict::kDifferent);
  EXPECT_TRUE(r.proved);
  for (const Mismatch& m : r.mismatches) {
    EXPECT_NE(m.input[4] & 0xfff, 5u);
    EXPECT_NE(m.input[4] & 0xfff, 7u);
  }
  EXPECT_EQ(check_counterexamples(a, b, r), "");
  // The same data computed another way is equal: (w << 20) >> 20 == w & 0xfff.
  const bpf::Program c_prog = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16), bpf::stmt(bpf::kAlu | bpf::kLsh | bpf::kK, 20),
      bpf::stmt(bpf::kAlu | bpf::kRsh | bpf::kK, 20), bpf::stmt(bpf::kAlu | bpf::kOr | bpf::kK, kRetErrno),
      bpf::stmt(bpf::kRet | bpf::kRetA, 0)};
  const BpfProcedure c = make(c_prog);
  EXPECT_EQ(check_equivalent(a, c).verdict, EquivResult::Verdict::kEquivalent);
  // Different bits of the same word: enumeration of data values finds it.
  const bpf::Program d_prog = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16), bpf::stmt(bpf::kAlu | bpf::kRsh | bpf::kK, 1),
      bpf::stmt(bpf::kAlu | bpf::kAnd | bpf::kK, 0xfff), bpf::stmt(bpf::kAlu | bpf::kOr | bpf::kK, kRetErrno),
      bpf::stmt(bpf::kRet | bpf::kRetA, 0)};
  const BpfProcedure d = make(d_prog);
  const EquivResult rd = check_equivalent(a, d);
  ASSERT_EQ(rd.verdict, EquivResult::Verdict::kDifferent);
  EXPECT_EQ(check_counterexamples(a, d, rd), "");
}

TEST(Equiv, TrapAndTraceDataArePartOfTheAction) {
  // A SIGSYS handler reads TRAP's data in si_errno; a tracer reads TRACE's.
  const BpfProcedure a = make(linear({{39, kRetTrap}, {60, kRetTrace | 1}}, kRetAllow));
  const BpfProcedure b = make(linear({{39, kRetTrap | 5}, {60, kRetTrace | 2}}, kRetAllow));
  EquivOptions o;
  o.max_mismatches = 10;
  const EquivResult r = check_equivalent(a, b, o);
  ASSERT_EQ(r.verdict, EquivResult::Verdict::kDifferent);
  ASSERT_EQ(r.mismatches.size(), 2u);
  for (const Mismatch& m : r.mismatches) {
    if (m.input[0] == 39) {
      EXPECT_EQ(m.a_action, Action::Trap());
      EXPECT_EQ(m.b_action, Action::Trap(5));
    } else {
      EXPECT_EQ(m.input[0], 60u);
      EXPECT_EQ(m.a_action, Action::Trace(1));
      EXPECT_EQ(m.b_action, Action::Trace(2));
    }
  }
  EXPECT_EQ(check_counterexamples(a, b, r), "");
}

TEST(Equiv, UnknownActionValuesAreDistinct) {
  // The kernel kills the process for both, but they are different values.
  const BpfProcedure a = make(linear({{39, 0x00010000U}}, kRetAllow));
  const BpfProcedure b = make(linear({{39, 0x00040000U}}, kRetAllow));
  const BpfProcedure kill = make(linear({{39, kRetKillProcess}}, kRetAllow));
  const EquivResult r = check_equivalent(a, b);
  ASSERT_EQ(r.verdict, EquivResult::Verdict::kDifferent);
  EXPECT_EQ(encode(r.mismatches[0].a_action), 0x00010000U);
  EXPECT_EQ(encode(r.mismatches[0].b_action), 0x00040000U);
  EXPECT_EQ(check_equivalent(a, kill).verdict, EquivResult::Verdict::kDifferent);
  EXPECT_EQ(check_equivalent(a, a).verdict, EquivResult::Verdict::kEquivalent);
}

TEST(Equiv, SymbolicReturnValueKeepsDataAndUnknownBits) {
  // `ret A` with A = args[0].lo, against a program that returns a constant
  // for one value and A otherwise: equal when the constant is that value.
  const bpf::Program a_prog = {bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16), bpf::stmt(bpf::kRet | bpf::kRetA, 0)};
  auto same_but = [](uint32_t when, uint32_t ret) {
    return bpf::Program{bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16),
                        bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, when, 0, 1), bpf::stmt(bpf::kRet | bpf::kRetK, ret),
                        bpf::stmt(bpf::kRet | bpf::kRetA, 0)};
  };
  const BpfProcedure a = make(a_prog);
  for (uint32_t v : {0x00040000U, 0x00030007U, 0x7fff0001U}) {
    const BpfProcedure same = make(same_but(v, v));
    const EquivResult eq = check_equivalent(a, same);
    EXPECT_EQ(eq.verdict, EquivResult::Verdict::kEquivalent) << std::hex << v;
    EXPECT_TRUE(eq.proved);
    // The same action bits with other data at v.
    const BpfProcedure other = make(same_but(v, v ^ 1));
    const EquivResult ne = check_equivalent(a, other);
    ASSERT_EQ(ne.verdict, EquivResult::Verdict::kDifferent) << std::hex << v;
    EXPECT_TRUE(ne.proved);
    EXPECT_EQ(ne.mismatches[0].input[4], v);
    EXPECT_EQ(encode(ne.mismatches[0].a_action), v);
    EXPECT_EQ(check_counterexamples(a, other, ne), "");
  }
}

TEST(Equiv, TwoInputDependentUndefinedValuesAreTestedNotEnumeratedForever) {
  // ret args[0].lo against ret args[0].lo >> 1: where both select no action,
  // the values range over far more than 2^16 values per region.
  const BpfProcedure a = make({bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16), bpf::stmt(bpf::kRet | bpf::kRetA, 0)});
  const BpfProcedure b = make({bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16),
                               bpf::stmt(bpf::kAlu | bpf::kRsh | bpf::kK, 1), bpf::stmt(bpf::kRet | bpf::kRetA, 0)});
  EquivOptions o;
  o.max_mismatches = 10000;  // as `sysfence diff` collects
  const EquivResult r = check_equivalent(a, b, o);
  ASSERT_EQ(r.verdict, EquivResult::Verdict::kDifferent);
  EXPECT_FALSE(r.proved);
  EXPECT_EQ(check_counterexamples(a, b, r), "");
}

TEST(Equiv, OutsideTheFragmentFallsBackToTestingAndSaysSo) {
  // nr + 1 == 60 is nr == 59, but `add` on the input is outside the fragment.
  const bpf::Program a_prog = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 0), bpf::stmt(bpf::kAlu | bpf::kAdd | bpf::kK, 1),
      bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 60, 0, 1), bpf::stmt(bpf::kRet | bpf::kRetK, kRetErrno | 1),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow)};
  const bpf::Program b_prog = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 0), bpf::jump(bpf::kJmp | bpf::kJeq | bpf::kK, 59, 0, 1),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetErrno | 1), bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow)};
  const BpfProcedure a = make(a_prog);
  const BpfProcedure b = make(b_prog);
  EquivOptions o;
  o.test_budget = 20000;
  const EquivResult r = check_equivalent(a, b, o);
  EXPECT_EQ(r.verdict, EquivResult::Verdict::kUndecided);
  EXPECT_FALSE(r.proved);
  EXPECT_TRUE(r.tested);
  EXPECT_EQ(r.tests_run, 20000u);
  ASSERT_EQ(r.unsupported.size(), 1u);
  EXPECT_EQ(r.unsupported[0].side, 0);
  EXPECT_EQ(r.unsupported[0].where, 1u);
  EXPECT_NE(r.unsupported[0].what.find("add"), std::string::npos);

  // A real difference is still found by the tests (nr + 2).
  bpf::Program c_prog = a_prog;
  c_prog[1].k = 2;
  const BpfProcedure c = make(c_prog);
  const EquivResult rc = check_equivalent(c, b, o);
  ASSERT_EQ(rc.verdict, EquivResult::Verdict::kDifferent);
  EXPECT_TRUE(rc.tested);
  EXPECT_FALSE(rc.mismatches[0].region_known);
  EXPECT_EQ(check_counterexamples(c, b, rc), "");
}

TEST(Equiv, PathBudgetMakesItUndecidedNotWrong) {
  const BpfProcedure a = make(linear({{0, kRetAllow}, {1, kRetAllow}, {2, kRetAllow}}, kRetTrap));
  EquivOptions o;
  o.max_paths = 2;
  o.test_budget = 100;
  const EquivResult r = check_equivalent(a, a, o);
  EXPECT_EQ(r.verdict, EquivResult::Verdict::kUndecided);
  EXPECT_FALSE(r.not_proved_reason.empty());
}

// Random decision diagrams against their own BPF rendering: always proved
// equal; the rendering's single-instruction mutants are judged exactly as an
// independent tester sees them.
TEST(Equiv, DecisionDiagramsAgainstTheirRendering) {
  std::mt19937_64 rng(77);
  const std::vector<uint32_t> constants = {0,    1,     2,          3,          5,          8,          59,
                                           0xff, 0x100, 0x40000000, 0x80000000, 0xc000003e, 0xfffffffe, 0xffffffff};
  int mutants = 0;
  int different = 0;
  for (int round = 0; round < 200; ++round) {
    testing::RandomDag d = testing::random_dag(rng, 2 + static_cast<int>(rng() % 30), constants);
    const BpfProcedure prog = make(d.program);
    const EquivResult r = check_equivalent(d.dag, prog);
    ASSERT_EQ(r.verdict, EquivResult::Verdict::kEquivalent) << "round " << round;
    ASSERT_TRUE(r.internal_errors.empty());
    const EquivResult r2 = check_equivalent(prog, d.dag);
    ASSERT_EQ(r2.verdict, EquivResult::Verdict::kEquivalent) << "round " << round;
    for (int i = 0; i < 5; ++i) {
      std::string what;
      auto m = mutate_once(d.program, rng, &what);
      if (!m) continue;
      auto mp = BpfProcedure::create(*m);
      ASSERT_TRUE(mp.has_value());
      EquivOptions o;
      o.test_budget = 20000;
      const EquivResult rm = check_equivalent(d.dag, *mp, o);
      ASSERT_TRUE(rm.internal_errors.empty()) << rm.internal_errors[0];
      ASSERT_EQ(check_counterexamples(d.dag, *mp, rm), "") << what;
      const auto diff = find_difference(d.program, *m, 3000, 1000 + i);
      if (diff) {
        ASSERT_EQ(rm.verdict, EquivResult::Verdict::kDifferent) << what;
      }
      if (rm.proved && rm.verdict == EquivResult::Verdict::kEquivalent) {
        ASSERT_FALSE(diff.has_value()) << what;
      }
      ++mutants;
      if (rm.verdict == EquivResult::Verdict::kDifferent) ++different;
    }
  }
  std::printf("diagram mutants: %d, reported different: %d\n", mutants, different);
  EXPECT_GT(mutants, 700);
  EXPECT_GT(different, mutants / 3);
}

// Mutation testing on the random valid programs of test/bpf (every opcode,
// X, M[], ALU, ret A): every mutant the randomized tester tells apart is
// reported different with a valid counterexample, and every reported
// difference is real.
TEST(Equiv, MutantsOfRandomPrograms) {
  bpf::testing::RandomProgramGenerator gen(99);
  bpf::testing::RandomProgramOptions options;
  options.constants = {0, 1, 2, 5, 59, 0x40000000, 0xc000003e, 0xffffffff, 0x80000000, 0x1000};
  std::mt19937_64 rng(5);
  int mutants = 0;
  int told_apart = 0;
  int different = 0;
  int proved = 0;
  for (int i = 0; i < 400; ++i) {
    const bpf::Program p = gen.valid(options);
    const BpfProcedure a = make(p);
    for (int j = 0; j < 3; ++j) {
      std::string what;
      auto m = mutate_once(p, rng, &what);
      if (!m) continue;
      const BpfProcedure b = make(*m);
      EquivOptions o;
      o.test_budget = 5000;
      const EquivResult r = check_equivalent(a, b, o);
      ASSERT_TRUE(r.internal_errors.empty()) << r.internal_errors[0];
      ASSERT_EQ(check_counterexamples(a, b, r), "") << what;
      const auto diff = find_difference(p, *m, 2000, i * 7 + j);
      ++mutants;
      if (diff) {
        ++told_apart;
        ASSERT_EQ(r.verdict, EquivResult::Verdict::kDifferent) << "program " << i << ": " << what;
      }
      if (r.verdict == EquivResult::Verdict::kDifferent) ++different;
      if (r.proved) ++proved;
      if (r.proved && r.verdict == EquivResult::Verdict::kEquivalent) {
        ASSERT_FALSE(diff.has_value());
      }
    }
  }
  std::printf("random-program mutants: %d, told apart by testing: %d, reported different: %d, proved: %d\n", mutants,
              told_apart, different, proved);
  EXPECT_GT(mutants, 1000);
  EXPECT_GT(told_apart, 100);
  EXPECT_GE(different, told_apart);
  EXPECT_GT(proved, mutants / 4);
}

// An ordered comparison of a masked word (libseccomp's stale accumulator
// writes them: `A &= 5; if (A > 3)`) is decided bit by bit: proved equal to
// the same decisions made with single-bit tests, both by the walk and by the
// diagrams, and told apart from a threshold one step off.
TEST(Equivalence, MaskedOrderedComparisonsAreProved) {
  const bpf::Program masked = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16),       // A = args[0].lo
      bpf::stmt(bpf::kAlu | bpf::kAnd | bpf::kK, 5),       // A &= 5
      bpf::jump(bpf::kJmp | bpf::kJgt | bpf::kK, 3, 2, 0),  // A > 3: bit 2 set
      bpf::jump(bpf::kJmp | bpf::kJge | bpf::kK, 1, 2, 0),  // A >= 1: bit 0 set
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetErrno | 1),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetTrap),
  };
  const bpf::Program bits = {
      bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 16),
      bpf::jump(bpf::kJmp | bpf::kJset | bpf::kK, 4, 2, 0),  // bit 2
      bpf::jump(bpf::kJmp | bpf::kJset | bpf::kK, 1, 2, 0),  // bit 0
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetAllow),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetErrno | 1),
      bpf::stmt(bpf::kRet | bpf::kRetK, kRetTrap),
  };
  bpf::Program off_by_one = masked;
  off_by_one[2].k = 4;  // A > 4: only 5
  const BpfProcedure a = make(masked);
  const BpfProcedure b = make(bits);
  const BpfProcedure c = make(off_by_one);
  for (const EquivOptions::Diagrams d : {EquivOptions::Diagrams::kNever, EquivOptions::Diagrams::kFirst}) {
    EquivOptions o;
    o.diagrams = d;
    const EquivResult same = check_equivalent(a, b, o);
    EXPECT_EQ(same.verdict, EquivResult::Verdict::kEquivalent);
    EXPECT_TRUE(same.proved);
    const EquivResult differ = check_equivalent(c, b, o);
    ASSERT_EQ(differ.verdict, EquivResult::Verdict::kDifferent);
    ASSERT_FALSE(differ.mismatches.empty());
    EXPECT_EQ(differ.mismatches.front().input[4] & 5, 4u);  // A == 4: ERRNO in one, TRAP in the other
  }
  DagPool pool;
  EXPECT_TRUE(a.to_diagram(pool).has_value());
}

}  // namespace
}  // namespace sysfence::verify

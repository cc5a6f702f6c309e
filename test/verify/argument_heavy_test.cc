// The proof of an argument-heavy policy (dozens of rules with conditions on
// one syscall, the shape whose proof runs the diagrams' memoized walk,
// verify/dag_pool.h) proves the compiled program and catches subtly wrong
// ones: one region sent to the other action deep in the ioctl subtree, one
// constant off by one. Every difference is reported with a counterexample
// that the interpreter and the reference evaluator confirm, and the fast
// path never proves a program that an independent tester tells apart.
#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "bpf/insn.h"
#include "bpf/interp.h"
#include "compiler/compile.h"
#include "policy/policy.h"
#include "syscalls/arch.h"
#include "verify/dag_pool.h"
#include "verify/policy_dag.h"
#include "verify/symbolic.h"
#include "verify/verify.h"

namespace sysfence::verify {
namespace {

using policy::ArgCondition;
using policy::CmpOp;

constexpr uint32_t kIoctl = 16;  // x86_64
constexpr unsigned kIoctlRules = 60;

// 30 syscalls allowed outright and kIoctlRules rules on ioctl, each of one
// to three conditions on distinct arguments among the first four (mostly
// EQ, some MASKED_EQ and GT, on all 64 bits), ALLOW or ERRNO(13).
policy::Policy argument_heavy_policy() {
  std::mt19937_64 rng(1234);
  policy::ArchPolicy x86_64;
  x86_64.arch = syscalls::ArchId::kX86_64;
  x86_64.default_action = Action::Errno(1);
  for (uint32_t nr = 0; nr < 31; ++nr)
    if (nr != kIoctl) x86_64.rules.emplace(nr, policy::RuleList{policy::Rule{Action::Allow(), {}, {}}});
  std::vector<policy::Rule> ioctl;
  for (unsigned r = 0; r < kIoctlRules; ++r) {
    policy::Rule rule{rng() % 2 ? Action::Allow() : Action::Errno(13), {}, {}};
    const unsigned count = 1 + rng() % 3;
    unsigned used = 0;
    while (rule.conditions.size() < count) {
      const auto index = static_cast<uint8_t>(rng() % 4);
      if (used & (1u << index)) continue;
      used |= 1u << index;
      ArgCondition c;
      c.index = index;
      const uint64_t v = rng() % 0x100000;
      switch (rng() % 6) {
        case 0: c.op = CmpOp::kMaskedEq, c.value = 0xf0f000, c.value_two = v & 0xf0f000; break;
        case 1: c.op = CmpOp::kGt, c.value = v; break;
        default: c.op = CmpOp::kEq, c.value = v; break;
      }
      rule.conditions.push_back(c);
    }
    ioctl.push_back(std::move(rule));
  }
  x86_64.rules.emplace(kIoctl, policy::RuleList(std::move(ioctl)));
  policy::Policy p;
  p.arches.push_back(std::move(x86_64));
  return p;
}

struct Fixture {
  policy::Policy policy = argument_heavy_policy();
  bpf::Program program;
  // The instructions of ioctl's argument checks: from the first load of an
  // argument word on.
  size_t arguments_begin = 0;

  Fixture() {
    auto compiled = compiler::compile(policy, {});
    EXPECT_TRUE(compiled.has_value());
    if (compiled) program = compiled->program;
    for (size_t i = 0; i < program.size(); ++i) {
      if (program[i].code == (bpf::kLd | bpf::kW | bpf::kAbs) && program[i].k >= 16) {
        arguments_begin = i;
        break;
      }
    }
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

bool proved_by_diagrams(const bpf::Program& program, const policy::Policy& policy) {
  auto filter = BpfProcedure::create(program);
  EXPECT_TRUE(filter.has_value());
  return prove_by_diagrams(*filter, PolicyProcedure(policy), 2'000'000).proved;
}

// An input where the program and the policy differ, from a tester that
// knows nothing of the checker: ioctl on x86_64 with the conditions of one
// to three rules made to hold (a later rule's over an earlier one's), then
// often one argument moved by one or replaced by another constant.
std::optional<SeccompData> tell_apart(const bpf::Program& program, const policy::Policy& policy, int count) {
  auto interp = bpf::Interpreter::create(program);
  if (!interp) return std::nullopt;
  const policy::RuleList& rules = policy.arches[0].rules.at(kIoctl);
  std::vector<uint64_t> constants = {0, 1, ~0ULL, 0x100000000ULL};
  for (const policy::Rule& r : rules)
    for (const ArgCondition& c : r.conditions) constants.push_back(c.op == CmpOp::kMaskedEq ? c.value_two : c.value);
  std::mt19937_64 rng(99);
  auto holding = [&](const ArgCondition& c) -> uint64_t {
    switch (c.op) {
      case CmpOp::kGt: return c.value + 1 + rng() % 4;
      case CmpOp::kMaskedEq: return c.value_two | (rng() % 0x100000 & ~c.value);
      default: return c.value;
    }
  };
  for (int i = 0; i < count; ++i) {
    SeccompData d;
    d.arch = syscalls::arch(syscalls::ArchId::kX86_64).audit_arch;
    d.nr = kIoctl;
    for (uint64_t& a : d.args) a = constants[rng() % constants.size()];
    for (unsigned n = 1 + rng() % 3; n > 0; --n)
      for (const ArgCondition& c : rules[rng() % rules.size()].conditions) d.args[c.index] = holding(c);
    uint64_t& moved = d.args[rng() % 4];
    switch (rng() % 4) {
      case 0: moved += 1; break;
      case 1: moved -= 1; break;
      case 2: moved = constants[rng() % constants.size()]; break;
      default: break;
    }
    if (interp->run(d, Endian::kLittle).action() != policy::evaluate(policy, d).action) return d;
  }
  return std::nullopt;
}

// Every counterexample is confirmed by the interpreter and the reference
// evaluator.
void expect_confirmed(const bpf::Program& mutant, const policy::Policy& policy, const Verification& v) {
  auto interp = bpf::Interpreter::create(mutant);
  ASSERT_TRUE(interp.has_value());
  for (const Counterexample& c : v.counterexamples) {
    EXPECT_EQ(c.data.nr, kIoctl) << c.input;
    EXPECT_EQ(interp->run(c.data, Endian::kLittle).action(), c.filter_action) << c.input;
    EXPECT_EQ(policy::evaluate(policy, c.data).action, c.policy_action) << c.input;
    EXPECT_NE(c.filter_action, c.policy_action) << c.input;
  }
}

// The proof fails, with confirmed counterexamples, and the fast path does
// not prove the mutant either.
void expect_caught(const bpf::Program& mutant, const policy::Policy& policy) {
  EXPECT_FALSE(proved_by_diagrams(mutant, policy));
  auto v = prove_equivalent(mutant, policy);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->equiv.verdict, EquivResult::Verdict::kDifferent);
  for (const Mismatch& m : v->equiv.mismatches) EXPECT_TRUE(m.region_known);  // found by the walk, not by testing
  ASSERT_FALSE(v->counterexamples.empty());
  expect_confirmed(mutant, policy, *v);
}

TEST(ArgumentHeavyProof, ProvesTheCompiledProgramByDiagrams) {
  const Fixture& f = fixture();
  ASSERT_GT(f.arguments_begin, 0u);
  EXPECT_TRUE(proved_by_diagrams(f.program, f.policy));
  auto v = prove_equivalent(f.program, f.policy);
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->equivalent());
  EXPECT_TRUE(v->equiv.proved);
  EXPECT_FALSE(v->equiv.tested);
}

// The deepest conditional jump of the argument checks with a branch to a
// `ret`, that branch sent to a `ret` of another action: one region of
// ioctl's inputs answered the other way.
TEST(ArgumentHeavyProof, CatchesOneFlippedActionDeepInTheIoctlSubtree) {
  const Fixture& f = fixture();
  std::vector<size_t> rets;
  for (size_t i = f.arguments_begin; i < f.program.size(); ++i)
    if (f.program[i].code == (bpf::kRet | bpf::kRetK)) rets.push_back(i);
  ASSERT_GE(rets.size(), 2u);
  int mutants = 0;
  for (size_t i = f.program.size(); i-- > f.arguments_begin && mutants < 4;) {
    const bpf::Insn& in = f.program[i];
    if (bpf::insn_class(in.code) != bpf::kJmp || bpf::insn_op(in.code) == bpf::kJa) continue;
    const size_t target = i + 1 + in.jt;
    if (f.program[target].code != (bpf::kRet | bpf::kRetK)) continue;
    for (const size_t other : rets) {
      if (other <= i || other - i - 1 > 255 || f.program[other].k == f.program[target].k) continue;
      bpf::Program mutant = f.program;
      mutant[i].jt = static_cast<uint8_t>(other - i - 1);
      ASSERT_TRUE(tell_apart(mutant, f.policy, 200000).has_value()) << "instruction " << i;
      SCOPED_TRACE(testing::Message() << "jump at " << i << " sent to the ret at " << other);
      expect_caught(mutant, f.policy);
      ++mutants;
      break;
    }
  }
  EXPECT_EQ(mutants, 4);
}

// Each comparison of an argument word with a constant, the constant one
// larger: every mutant the tester tells apart is caught (the fast path does
// not prove it); the proof may find differences the tester misses, each
// confirmed; and most mutants differ.
TEST(ArgumentHeavyProof, CatchesEveryConstantOffByOne) {
  const Fixture& f = fixture();
  int told_apart = 0;
  int found_by_proof_alone = 0;
  // The deepest kMutants comparisons (each a proof, most of them the full
  // walk that finds the counterexample).
  constexpr int kMutants = 60;
  int mutants = 0;
  for (size_t i = f.program.size(); i-- > f.arguments_begin && mutants < kMutants;) {
    const bpf::Insn& in = f.program[i];
    if (bpf::insn_class(in.code) != bpf::kJmp || bpf::insn_op(in.code) == bpf::kJa ||
        bpf::insn_src(in.code) != bpf::kK || in.k == 0)
      continue;
    ++mutants;
    bpf::Program mutant = f.program;
    mutant[i].k += 1;
    SCOPED_TRACE(testing::Message() << "constant at " << i);
    if (tell_apart(mutant, f.policy, 5000).has_value()) {
      expect_caught(mutant, f.policy);
      ++told_apart;
      continue;
    }
    auto v = prove_equivalent(mutant, f.policy);
    ASSERT_TRUE(v.has_value());
    ASSERT_NE(v->equiv.verdict, EquivResult::Verdict::kUndecided);
    if (v->equiv.verdict == EquivResult::Verdict::kDifferent) {
      expect_confirmed(mutant, f.policy, *v);
      ++found_by_proof_alone;
    }
  }
  EXPECT_EQ(mutants, kMutants);
  EXPECT_GT(told_apart, kMutants / 3);
  EXPECT_GT(found_by_proof_alone, 0);
}

// The proof walks a policy as decision diagrams when one syscall has 7 or
// more conditional rules on two or more arguments, and path by path
// otherwise; its `paths` and `word_constraints` (docs/json.md) are then the
// diagrams' leaf pairs and atoms, or the joint paths and their atoms.
struct RulesOn {
  uint32_t nr;
  unsigned rules;
  unsigned arguments;
};

// Per entry, `rules` rules on syscall `nr`, rule r on argument r % arguments
// (== 0x100 + r on all 64 bits, every third > instead), ALLOW or ERRNO(13)
// in turn; syscall 0 allowed, anything else ERRNO(1).
policy::Policy rules_on(std::initializer_list<RulesOn> entries) {
  policy::ArchPolicy x86_64;
  x86_64.arch = syscalls::ArchId::kX86_64;
  x86_64.default_action = Action::Errno(1);
  x86_64.rules.emplace(0, policy::RuleList{policy::Rule{Action::Allow(), {}, {}}});
  for (const RulesOn& e : entries) {
    std::vector<policy::Rule> rules;
    for (unsigned r = 0; r < e.rules; ++r) {
      ArgCondition c;
      c.index = static_cast<uint8_t>(r % e.arguments);
      c.value = 0x100 + r;
      // Every third rule an ordered comparison: its cut splits the others' values.
      if (r % 3 == 2) c.op = CmpOp::kGt;
      rules.push_back(policy::Rule{r % 2 ? Action::Errno(13) : Action::Allow(), {c}, {}});
    }
    x86_64.rules.emplace(e.nr, policy::RuleList(std::move(rules)));
  }
  policy::Policy p;
  p.arches.push_back(std::move(x86_64));
  return p;
}

// The proof's size (`paths`, `word_constraints`) for `policy`'s compiled
// program, with the walk chosen by the policy's shape (kAuto) or forced.
std::pair<uint64_t, uint64_t> proof_size(const policy::Policy& policy, EquivOptions::Diagrams diagrams) {
  auto compiled = compiler::compile(policy, {});
  EXPECT_TRUE(compiled.has_value());
  if (!compiled) return {};
  EquivOptions options;
  options.diagrams = diagrams;
  auto v = prove_equivalent(compiled->program, policy, options);
  EXPECT_TRUE(v.has_value() && v->equivalent());
  if (!v) return {};
  return {v->equiv.paths, v->equiv.word_constraints};
}

TEST(ProofWalkChoice, DiagramsForSevenConditionalRulesOnTwoArguments) {
  const policy::Policy p = rules_on({{kIoctl, 7, 2}});
  const auto plain = proof_size(p, EquivOptions::Diagrams::kNever);
  const auto diagrams = proof_size(p, EquivOptions::Diagrams::kFirst);
  ASSERT_NE(plain, diagrams);  // the two walks tell apart by their counts
  EXPECT_EQ(proof_size(p, EquivOptions::Diagrams::kAuto), diagrams);
}

TEST(ProofWalkChoice, PlainWalkForFewerRulesOrOneArgument) {
  // Beside ioctl's rules, 6 rules on two arguments of another syscall:
  // there the two walks count differently.
  constexpr uint32_t kPrctl = 157;
  for (const RulesOn ioctl : {RulesOn{kIoctl, 6, 2}, RulesOn{kIoctl, 19, 1}}) {
    SCOPED_TRACE(testing::Message() << ioctl.rules << " rules on " << ioctl.arguments << " argument(s)");
    const policy::Policy p = rules_on({ioctl, {kPrctl, 6, 2}});
    const auto plain = proof_size(p, EquivOptions::Diagrams::kNever);
    ASSERT_NE(plain, proof_size(p, EquivOptions::Diagrams::kFirst));
    EXPECT_EQ(proof_size(p, EquivOptions::Diagrams::kAuto), plain);
  }
}

}  // namespace
}  // namespace sysfence::verify

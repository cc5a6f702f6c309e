// Diagrams deeper than the memoized walk takes (kMaxDiagramDepth): built
// without recursion at any depth, with the meaning of the program or
// specification they come from, and proved by the satisfiability search
// alone. A profile of 500 flag-mask rules on one syscall compiles to a
// filter within the kernel's 4096 instructions whose paths hold thousands
// of tests: the proof, its counterexamples and the diagrams themselves.
#include <gtest/gtest.h>

#include <bit>
#include <random>
#include <set>
#include <vector>

#include "bpf/insn.h"
#include "bpf/interp.h"
#include "compiler/compile.h"
#include "policy/policy.h"
#include "syscalls/arch.h"
#include "test/verify/flag_rules.h"
#include "verify/dag_pool.h"
#include "verify/decision.h"
#include "verify/equiv.h"
#include "verify/policy_dag.h"
#include "verify/sat_proof.h"
#include "verify/symbolic.h"
#include "verify/verify.h"

namespace sysfence::verify {
namespace {

// `count` rules on ioctl, each `min_conditions` to three conditions on
// distinct arguments among the first three. Each rule's tests follow the
// ones before it on the paths that miss it. Rules of one condition on one
// bit soon leave no input to the rules after them: two or more conditions
// keep the last rules reachable.
policy::Policy flag_rules(unsigned count, unsigned min_conditions) {
  return testing::flag_mask_policy(600, count, min_conditions, 3);
}

bpf::Program compile_fitting(const policy::Policy& policy) {
  auto compiled = compiler::compile(policy, {});
  EXPECT_TRUE(compiled.has_value());
  if (!compiled) return {};
  EXPECT_LE(compiled->program.size(), bpf::kMaxInsns);
  return compiled->program;
}

// The action a pool diagram decides for one input, by following it.
Action follow(const DagPool& pool, DagPool::Ref r, const SeccompWords& in) {
  while (!DagPool::is_leaf(r)) {
    const DagPool::Node n = pool.at(r);
    r = holds(n.atom, in[n.word]) ? n.if_true : n.if_false;
  }
  return pool.action(r);
}

// 500 rules of two or three conditions: the filter (4,004 instructions) and
// the specification are diagrams deeper than the walk takes, and the
// search proves them equal (the proof used to refuse the specification's
// diagram and stop at the plain walk's budget of joint paths: not proved).
TEST(DeepDiagrams, FlagRulesAreProved) {
  const policy::Policy policy = flag_rules(500, 2);
  const bpf::Program program = compile_fitting(policy);
  auto v = prove_equivalent(program, policy);
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->equivalent());
  EXPECT_TRUE(v->equiv.proved);
  EXPECT_GT(v->equiv.sat_conflicts, 0u);

  auto filter = BpfProcedure::create(program);
  ASSERT_TRUE(filter.has_value());
  const PolicyProcedure spec(policy);
  DagPool pool;
  const std::optional<DagPool::Ref> a = filter->to_diagram(pool);
  const std::optional<DagPool::Ref> b = spec.to_diagram(pool);
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  // Paths of 1,763 tests in the filter's diagram, of more than the walk
  // takes in the specification's.
  EXPECT_GT(pool.depth(*a), 1024u);
  EXPECT_GT(pool.depth(*b), kMaxDiagramDepth);
  EXPECT_TRUE(prove_by_diagrams(pool, *a, *b, 25'000).too_deep);
}

// The proof reports `mutant` different from `policy`, each counterexample
// confirmed by the interpreter and the reference evaluator (neither of
// them the checker's).
void expect_confirmed_difference(const bpf::Program& mutant, const policy::Policy& policy) {
  auto v = prove_equivalent(mutant, policy);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->equiv.verdict, EquivResult::Verdict::kDifferent);
  ASSERT_FALSE(v->counterexamples.empty());
  auto interp = bpf::Interpreter::create(mutant);
  ASSERT_TRUE(interp.has_value());
  for (const Counterexample& c : v->counterexamples) {
    EXPECT_EQ(interp->run(c.data, Endian::kLittle).action(), c.filter_action);
    EXPECT_EQ(policy::evaluate(policy, c.data).action, c.policy_action);
    EXPECT_NE(c.filter_action, c.policy_action);
  }
}

// From the end of the program back (past hundreds of rules, where random
// inputs seldom get and the plain walk's budget runs out first), the first
// mutant the search tells apart: `mutate` changes instruction i (false when
// it does not apply). A mutant of a rule that earlier ones shadow is equal:
// the search proves so, and it is passed over.
template <typename Mutate>
void expect_deepest_live_mutant_told_apart(const bpf::Program& program, const policy::Policy& policy, Mutate mutate) {
  const PolicyProcedure spec(policy);
  int tried = 0;
  for (size_t i = program.size(); i-- > 0 && tried < 200;) {
    bpf::Program mutant = program;
    if (!mutate(mutant[i])) continue;
    ++tried;
    auto filter = BpfProcedure::create(mutant);
    ASSERT_TRUE(filter.has_value());
    const SatProof search = prove_by_sat(*filter, spec, 1'000'000);
    ASSERT_TRUE(search.proved || search.different) << "instruction " << i;
    if (search.proved) continue;
    SCOPED_TRACE(::testing::Message() << "instruction " << i);
    expect_confirmed_difference(mutant, policy);
    return;
  }
  ADD_FAILURE() << "no mutant told apart in " << tried;
}

// One flipped action (a return of ALLOW made ERRNO(13)), one changed
// constant (a masked test's value or a jset's bits, its lowest bit
// flipped): each told apart with a confirmed input.
TEST(DeepDiagrams, MutantsAreToldApartByAConfirmedInput) {
  const policy::Policy policy = flag_rules(500, 2);
  const bpf::Program program = compile_fitting(policy);
  ASSERT_FALSE(program.empty());
  const bpf::Insn allow{static_cast<uint16_t>(bpf::kRet | bpf::kRetK), 0, 0, encode(Action::Allow())};
  expect_deepest_live_mutant_told_apart(program, policy, [&](bpf::Insn& in) {
    if (in != allow) return false;
    in.k = encode(Action::Errno(13));
    return true;
  });
  expect_deepest_live_mutant_told_apart(program, policy, [](bpf::Insn& in) {
    const bool masked_test =
        in.code == (bpf::kJmp | bpf::kJeq | bpf::kK) || in.code == (bpf::kJmp | bpf::kJset | bpf::kK);
    if (!masked_test || in.k == 0) return false;
    in.k ^= uint32_t{1} << std::countr_zero(in.k);
    return true;
  });
}

// A program whose paths hold 3,300 conditional jumps (groups of 110 on one
// word, each jump's true side a return in its group's block, which a `ja`
// steps over): its diagram, built without recursion, decides every random
// input as the interpreter does.
TEST(DeepDiagrams, ProgramDeeperThanTheWalkIsItsOwnDiagram) {
  std::mt19937_64 rng(3300);
  constexpr unsigned kGroups = 30;
  constexpr unsigned kJumps = 110;
  constexpr unsigned kReturns = 4;
  const uint16_t ops[] = {bpf::kJeq, bpf::kJgt, bpf::kJge, bpf::kJset};
  std::vector<uint32_t> constants;
  bpf::Program p;
  for (unsigned g = 0; g < kGroups; ++g) {
    p.push_back({static_cast<uint16_t>(bpf::kLd | bpf::kW | bpf::kAbs), 0, 0, 4 * static_cast<uint32_t>(rng() % 16)});
    for (unsigned j = 0; j < kJumps; ++j) {
      const uint16_t op = ops[rng() % 4];
      // Mostly false: most inputs go deep.
      const uint32_t k = op == bpf::kJset  ? uint32_t{1} << (rng() % 16)
                         : op == bpf::kJeq ? static_cast<uint32_t>(rng() % 64)
                                           : 0xfffff000U + static_cast<uint32_t>(rng() % 4096);
      constants.push_back(k);
      const auto to_return = static_cast<uint8_t>(kJumps - j + rng() % kReturns);  // past the ja
      p.push_back({static_cast<uint16_t>(bpf::kJmp | op | bpf::kK), to_return, 0, k});
    }
    p.push_back({static_cast<uint16_t>(bpf::kJmp | bpf::kJa), 0, 0, kReturns});
    for (unsigned r = 0; r < kReturns; ++r)
      p.push_back({static_cast<uint16_t>(bpf::kRet | bpf::kRetK), 0, 0, encode(Action::Errno(g * kReturns + r))});
  }
  p.push_back({static_cast<uint16_t>(bpf::kRet | bpf::kRetK), 0, 0, encode(Action::Allow())});
  ASSERT_LE(p.size(), bpf::kMaxInsns);
  auto filter = BpfProcedure::create(p);
  ASSERT_TRUE(filter.has_value()) << filter.error().message;
  DagPool pool;
  const std::optional<DagPool::Ref> root = filter->to_diagram(pool);
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(pool.depth(*root), kGroups * kJumps);
  std::set<uint32_t> reached;  // the value of each return reached
  for (int i = 0; i < 20'000; ++i) {
    SeccompWords in{};
    // Most words take no jump (a bit above those the jsets test, below
    // the jgts' and jges' constants, past the jeqs'); the others may.
    for (uint32_t& w : in) {
      const uint32_t k = constants[rng() % constants.size()];
      w = rng() % 8 != 0 ? uint32_t{0x10000} << (rng() % 15) : rng() % 2 ? k : k - 1;
    }
    const Action expected = filter->run(in);
    ASSERT_EQ(follow(pool, *root, in), expected) << "input " << i;
    reached.insert(encode(expected));
  }
  // Inputs end in returns of most groups, and past the last one.
  EXPECT_GT(reached.size(), kGroups * kReturns / 2);
  EXPECT_TRUE(reached.contains(encode(Action::Allow())));  // through every jump
}

// A specification whose one path holds 2,100 tests (a chain of rules, each
// a test on some word): its diagram, copied without recursion, decides
// every random input as the specification does, and the proof takes it to
// the search, which proves it equal to itself; a copy with the deepest
// rule's action changed is told apart with a confirmed input.
TEST(DeepDiagrams, SpecificationDeeperThanTheWalkIsItsOwnDiagram) {
  std::mt19937_64 rng(5000);
  DecisionDag d;
  DecisionDag changed;
  DecisionDag::Ref next = d.leaf(Action::Allow(), "default");
  DecisionDag::Ref next_changed = changed.leaf(Action::Allow(), "default");
  constexpr uint32_t kDepth = 2100;
  for (uint32_t i = 0; i < kDepth; ++i) {
    const auto word = static_cast<unsigned>(rng() % kWordCount);
    // The rule nearest the default tests a value no other rule names.
    const WordAtom atom = i == 0      ? WordAtom::Eq(0x77)
                          : rng() % 2 ? WordAtom::Eq(i % 50)
                                      : WordAtom::MaskedEq(0x30000U << (i % 14), 0x30000U << (i % 14));
    const Action action = Action::Errno(i % 7);
    next = d.test(word, atom, d.leaf(action, "rule"), next);
    // The rule nearest the default decides differently.
    next_changed = changed.test(word, atom, changed.leaf(i == 0 ? Action::Errno(99) : action, "rule"), next_changed);
  }
  d.set_root(next);
  changed.set_root(next_changed);
  DagPool pool;
  const std::optional<DagPool::Ref> root = d.to_diagram(pool);
  ASSERT_TRUE(root.has_value());
  EXPECT_GT(pool.depth(*root), kMaxDiagramDepth);
  for (int i = 0; i < 20'000; ++i) {
    SeccompWords in{};
    // Mostly above the == tests' values and below the masked tests' bits:
    // no test holds.
    for (uint32_t& w : in) {
      const auto near = static_cast<uint32_t>(rng() % (uint64_t{2} * kDepth));
      const uint64_t kind = rng() % 64;
      w = kind == 0 ? 0xffff0000U + near : kind == 1 ? near % 50 : 50 + near;
    }
    ASSERT_EQ(follow(pool, *root, in), d.run(in)) << "input " << i;
  }
  EquivOptions first;
  first.diagrams = EquivOptions::Diagrams::kFirst;
  const EquivResult same = check_equivalent(d, d, first);
  EXPECT_EQ(same.verdict, EquivResult::Verdict::kEquivalent);
  EXPECT_TRUE(same.proved);
  const EquivResult differs = check_equivalent(d, changed, first);
  EXPECT_EQ(differs.verdict, EquivResult::Verdict::kDifferent);
  ASSERT_FALSE(differs.mismatches.empty());
  const Mismatch& m = differs.mismatches.front();
  EXPECT_EQ(d.run(m.input), m.a_action);
  EXPECT_EQ(changed.run(m.input), m.b_action);
  EXPECT_NE(m.a_action, m.b_action);
}

}  // namespace
}  // namespace sysfence::verify

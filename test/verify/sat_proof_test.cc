// The proof's satisfiability search: the solver against exhaustive
// enumeration, the encoding of two diagrams against exhaustive evaluation on
// a domain small enough to be exact, and the whole proof of a policy of
// flag-mask rules that the diagrams' walk cannot finish: proved, and every
// mutant an independent tester tells apart caught with a confirmed
// counterexample.
#include "verify/sat_proof.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <iterator>
#include <random>
#include <vector>

#include "bpf/insn.h"
#include "bpf/interp.h"
#include "compiler/compile.h"
#include "policy/policy.h"
#include "syscalls/arch.h"
#include "test/verify/flag_rules.h"
#include "test/verify/small_diagrams.h"
#include "verify/dag_pool.h"
#include "verify/decision.h"
#include "verify/describe.h"
#include "verify/equiv.h"
#include "verify/policy_dag.h"
#include "verify/sat_solver.h"
#include "verify/symbolic.h"
#include "verify/verify.h"

namespace sysfence::verify {
namespace {

using Lit = SatSolver::Lit;
using Clauses = std::vector<std::vector<Lit>>;

bool satisfies(const Clauses& clauses, uint32_t assignment) {
  for (const std::vector<Lit>& c : clauses) {
    bool any = false;
    for (const Lit l : c) any = any || (((assignment >> (l >> 1)) & 1) == ((l & 1) == 0 ? 1u : 0u));
    if (!any) return false;
  }
  return true;
}

bool satisfiable_by_enumeration(const Clauses& clauses, uint32_t vars) {
  for (uint32_t a = 0; a < (uint32_t{1} << vars); ++a)
    if (satisfies(clauses, a)) return true;
  return false;
}

// Random formulas of 1..14 variables and clauses of 1..4 literals around the
// hardest ratio: the solver's answer is enumeration's, and its model
// satisfies every clause.
TEST(SatSolver, AnswersAsEnumeration) {
  std::mt19937_64 rng(11);
  int sat = 0;
  int unsat = 0;
  for (int round = 0; round < 3000; ++round) {
    const auto vars = static_cast<uint32_t>(1 + rng() % 14);
    const size_t count = 1 + rng() % (5 * vars + 2);
    Clauses clauses(count);
    for (std::vector<Lit>& c : clauses) {
      for (size_t n = 1 + rng() % 4; n > 0; --n) c.push_back(static_cast<Lit>(rng() % (uint64_t{2} * vars)));
    }
    SatSolver s;
    for (uint32_t v = 0; v < vars; ++v) s.new_var();
    for (const std::vector<Lit>& c : clauses) s.add_clause(c);
    const SatSolver::Result r = s.solve(1'000'000);
    const bool expected = satisfiable_by_enumeration(clauses, vars);
    ASSERT_EQ(r, expected ? SatSolver::Result::kSat : SatSolver::Result::kUnsat) << "round " << round;
    if (r == SatSolver::Result::kSat) {
      uint32_t model = 0;
      for (uint32_t v = 0; v < vars; ++v) model |= (s.model_value(v) ? 1u : 0u) << v;
      ASSERT_TRUE(satisfies(clauses, model)) << "round " << round;
    }
    ++(expected ? sat : unsat);
  }
  EXPECT_GT(sat, 500);
  EXPECT_GT(unsat, 500);
}

// n + 1 pigeons in n holes: unsatisfiable, and hard enough that one
// conflict is not enough to tell.
void pigeonhole(SatSolver& s, uint32_t holes) {
  const uint32_t pigeons = holes + 1;
  std::vector<std::vector<uint32_t>> in(pigeons, std::vector<uint32_t>(holes));
  for (auto& p : in)
    for (uint32_t& v : p) v = s.new_var();
  for (const auto& p : in) {
    std::vector<Lit> somewhere;
    somewhere.reserve(p.size());
    for (const uint32_t v : p) somewhere.push_back(SatSolver::pos(v));
    s.add_clause(somewhere);
  }
  for (uint32_t h = 0; h < holes; ++h)
    for (uint32_t i = 0; i < pigeons; ++i)
      for (uint32_t j = i + 1; j < pigeons; ++j) s.add_clause({SatSolver::neg(in[i][h]), SatSolver::neg(in[j][h])});
}

TEST(SatSolver, PigeonholeIsUnsatisfiable) {
  SatSolver s;
  pigeonhole(s, 6);
  EXPECT_EQ(s.solve(1'000'000), SatSolver::Result::kUnsat);
}

TEST(SatSolver, StopsAtItsBudget) {
  SatSolver few_conflicts;
  pigeonhole(few_conflicts, 8);
  EXPECT_EQ(few_conflicts.solve(1), SatSolver::Result::kUnknown);
  SatSolver few_visits;
  pigeonhole(few_visits, 8);
  EXPECT_EQ(few_visits.solve(1'000'000, 10), SatSolver::Result::kUnknown);
}

using small_diagrams::build;
using small_diagrams::equal_everywhere;
using small_diagrams::NodeSpec;
using small_diagrams::random_atom;
using small_diagrams::random_spec;

// Proved exactly when equal; a difference found exactly when not (its input
// checked against both diagrams inside prove_by_sat).
TEST(SatProof, ProvesExactlyTheEqualPairs) {
  std::mt19937_64 rng(4711);
  const std::vector<Action> leaves = {Action::Allow(), Action::Errno(1), Action::Errno(2)};
  int equal = 0;
  int different = 0;
  for (int round = 0; round < 3000; ++round) {
    const std::vector<NodeSpec> spec = random_spec(rng, 1 + rng() % 24);
    std::vector<NodeSpec> other = spec;
    switch (rng() % 4) {
      case 0: other[rng() % other.size()].atom = random_atom(rng); break;
      case 1: other = random_spec(rng, 1 + rng() % 24); break;
      case 2: {  // one test's branches exchanged
        NodeSpec& s = other[rng() % other.size()];
        std::swap(s.if_true, s.if_false);
        break;
      }
      default: {  // the same decisions, one test's branches written the other way round
        NodeSpec& s = other[rng() % other.size()];
        s.atom = negate(s.atom);
        std::swap(s.if_true, s.if_false);
        break;
      }
    }
    const DecisionDag a = build(spec, leaves);
    const DecisionDag b = build(other, leaves);
    const bool same = equal_everywhere(a, b);
    const SatProof proof = prove_by_sat(a, b, 1'000'000);
    ASSERT_EQ(proof.proved, same) << "round " << round;
    ASSERT_EQ(proof.different, !same) << "round " << round;
    ++(same ? equal : different);
  }
  std::printf("equal pairs: %d, different: %d\n", equal, different);
  EXPECT_GT(equal, 500);
  EXPECT_GT(different, 500);
}

// Tests with constants and masks over all 32 bits (a small pool, so that
// tests meet), where exhaustive evaluation is out of reach: the search
// agrees with the diagrams' walk, exact on diagrams and built on the word
// sets, sharing nothing with the encoding.
WordAtom wide_atom(std::mt19937_64& rng) {
  static constexpr uint32_t kPool[] = {0,          1,          2,          0x7f,       0x80,
                                       0xffff,     0x10000,    0x7fffffff, 0x80000000, 0x80000001,
                                       0xfffffffe, 0xffffffff, 0x40000000, 0xc000003e};
  const uint32_t k = kPool[rng() % std::size(kPool)];
  const uint32_t mask = kPool[rng() % std::size(kPool)] | (uint32_t{1} << (rng() % 32));
  return small_diagrams::atom_of_kind(static_cast<unsigned>(rng() % 8), k, mask);
}

TEST(SatProof, AgreesWithTheWalkOnWideConstants) {
  std::mt19937_64 rng(99);
  const std::vector<Action> leaves = {Action::Allow(), Action::Errno(1), Action::Errno(2)};
  int equal = 0;
  int different = 0;
  for (int round = 0; round < 2000; ++round) {
    std::vector<NodeSpec> spec = random_spec(rng, 1 + rng() % 20);
    for (NodeSpec& n : spec) n.atom = wide_atom(rng);
    std::vector<NodeSpec> other = spec;
    NodeSpec& changed = other[rng() % other.size()];
    if (rng() % 2 == 0) {
      changed.atom = wide_atom(rng);
    } else {  // the same decisions written the other way round
      changed.atom = negate(changed.atom);
      std::swap(changed.if_true, changed.if_false);
    }
    const DecisionDag a = build(spec, leaves);
    const DecisionDag b = build(other, leaves);
    const DiagramProof walk = prove_by_diagrams(a, b, uint64_t{1} << 30);
    const SatProof search = prove_by_sat(a, b, 1'000'000);
    ASSERT_EQ(search.proved, walk.proved) << "round " << round;
    ASSERT_EQ(search.different, !walk.proved) << "round " << round;
    if (search.different) {
      ASSERT_NE(a.run(search.witness), b.run(search.witness)) << "round " << round;
    }
    ++(walk.proved ? equal : different);
  }
  std::printf("equal pairs: %d, different: %d\n", equal, different);
  EXPECT_GT(equal, 300);
  EXPECT_GT(different, 200);
}

using testing::kIoctl;

// 120 rules on ioctl, each one to three conditions on distinct arguments
// among the first four: the diagrams' walk meets the clauses the masks
// leave over the same bits in more combinations than its budget.
policy::Policy flag_mask_policy() { return testing::flag_mask_policy(2026, 120, 1, 4); }

// An input of ioctl where the program and the policy differ, from a tester
// that knows nothing of the checker: one to three rules' conditions made to
// hold over random arguments.
std::optional<SeccompData> tell_apart(const bpf::Program& program, const policy::Policy& policy) {
  auto interp = bpf::Interpreter::create(program);
  if (!interp) return std::nullopt;
  const policy::RuleList& rules = policy.arches[0].rules.at(kIoctl);
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20'000; ++i) {
    SeccompData d;
    d.arch = syscalls::arch(syscalls::ArchId::kX86_64).audit_arch;
    d.nr = kIoctl;
    for (uint64_t& a : d.args) a = rng() % 4 == 0 ? 0 : rng();
    for (unsigned n = 1 + rng() % 3; n > 0; --n) {
      for (const policy::ArgCondition& c : rules[rng() % rules.size()].conditions)
        d.args[c.index] = (d.args[c.index] & ~c.value) | c.value_two;
    }
    if (interp->run(d, Endian::kLittle).action() != policy::evaluate(policy, d).action) return d;
  }
  return std::nullopt;
}

TEST(SatProof, ProvesWhatTheWalkCannotFinish) {
  const policy::Policy policy = flag_mask_policy();
  auto compiled = compiler::compile(policy, {});
  ASSERT_TRUE(compiled.has_value());
  auto filter = BpfProcedure::create(compiled->program);
  ASSERT_TRUE(filter.has_value());
  const DiagramProof walk = prove_by_diagrams(*filter, PolicyProcedure(policy), 25'000);
  EXPECT_FALSE(walk.proved);
  EXPECT_TRUE(walk.over_budget);
  auto v = prove_equivalent(compiled->program, policy);
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->equivalent());
  EXPECT_TRUE(v->equiv.proved);
  EXPECT_GT(v->equiv.sat_conflicts, 0u);
  EXPECT_NE(format_verification(*v).find("satisfiability search"), std::string::npos);
}

// Each comparison of an argument word with a constant (a masked test's
// value, or a jset's bits), one bit of the constant flipped: the search
// either proves the mutant or finds an input that the interpreter and the
// reference evaluator (neither shares code with it) decide differently; it
// never proves one that a tester tells apart; and the proof reports each
// difference with a confirmed counterexample. Random inputs seldom get past
// the rules that match before the mutated test: the search's input is what
// finds most differences here.
TEST(SatProof, MutantsAreProvedOrToldApartByAConfirmedInput) {
  const policy::Policy policy = flag_mask_policy();
  auto compiled = compiler::compile(policy, {});
  ASSERT_TRUE(compiled.has_value());
  const bpf::Program& program = compiled->program;
  std::mt19937_64 rng(8);
  int proved = 0;
  int different = 0;
  for (size_t i = 0; i < program.size() && proved + different < 40; ++i) {
    const bpf::Insn& in = program[i];
    if (bpf::insn_class(in.code) != bpf::kJmp || bpf::insn_op(in.code) == bpf::kJa || rng() % 3 != 0) continue;
    bpf::Program mutant = program;
    mutant[i].k ^= uint32_t{1} << (rng() % 32);
    auto filter = BpfProcedure::create(mutant);
    ASSERT_TRUE(filter.has_value());
    const SatProof search = prove_by_sat(*filter, PolicyProcedure(policy), 1'000'000);
    ASSERT_NE(search.proved, search.different) << "instruction " << i;
    if (search.proved) {
      ++proved;
      EXPECT_FALSE(tell_apart(mutant, policy).has_value()) << "instruction " << i;
      continue;
    }
    ++different;
    const SeccompData d = to_data(search.witness);
    auto interp = bpf::Interpreter::create(mutant);
    ASSERT_TRUE(interp.has_value());
    EXPECT_NE(interp->run(d, Endian::kLittle).action(), policy::evaluate(policy, d).action) << "instruction " << i;
    if (different <= 3) {
      auto v = prove_equivalent(mutant, policy);
      ASSERT_TRUE(v.has_value());
      EXPECT_EQ(v->equiv.verdict, EquivResult::Verdict::kDifferent) << "instruction " << i;
      ASSERT_FALSE(v->counterexamples.empty()) << "instruction " << i;
      const Counterexample& c = v->counterexamples.front();
      EXPECT_EQ(interp->run(c.data, Endian::kLittle).action(), c.filter_action);
      EXPECT_EQ(policy::evaluate(policy, c.data).action, c.policy_action);
      EXPECT_NE(c.filter_action, c.policy_action);
    }
  }
  std::printf("mutants proved: %d, told apart: %d\n", proved, different);
  EXPECT_GT(proved, 3);
  EXPECT_GT(different, 10);
}

}  // namespace
}  // namespace sysfence::verify

// Filter stacks in the symbolic checker: a stack is proved equal to a
// single program or a policy exactly when the kernel's combination of its
// filters is, and counterexamples name the deciding filter. The expected
// combinations are written out by hand (the kernel's rule: the lowest action
// part wins, the newest filter on a tie), independently of bpf/stack.
#include "verify/stack.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "bpf/insn.h"
#include "bpf/interp.h"
#include "compiler/compile.h"
#include "policy/policy.h"
#include "syscalls/arch.h"
#include "test/verify/flag_rules.h"
#include "verify/dag_pool.h"
#include "verify/equiv.h"
#include "verify/symbolic.h"
#include "verify/verify.h"

namespace sysfence::verify {
namespace {

using bpf::jump;
using bpf::kAbs;
using bpf::kJeq;
using bpf::kJge;
using bpf::kJmp;
using bpf::kK;
using bpf::kLd;
using bpf::kRet;
using bpf::kRetK;
using bpf::kW;
using bpf::Program;
using bpf::stmt;

constexpr uint32_t kX86_64 = 0xc000003e;
constexpr uint32_t kI386 = 0x40000003;

bpf::Insn load_nr() { return stmt(kLd | kW | kAbs, 0); }
bpf::Insn ret(uint32_t v) { return stmt(kRet | kRetK, v); }

// nr == a ? ra : (nr == b ? rb : other).
Program two_numbers(uint32_t a, uint32_t ra, uint32_t b, uint32_t rb, uint32_t other) {
  return {load_nr(), jump(kJmp | kJeq | kK, a, 2, 0), jump(kJmp | kJeq | kK, b, 2, 0), ret(other), ret(ra), ret(rb)};
}

StackProcedure make_stack(std::vector<Program> programs) {
  std::vector<std::string> names;
  for (size_t k = 0; k < programs.size(); ++k) names.push_back("f" + std::to_string(k));
  auto s = StackProcedure::create(std::move(programs), std::move(names));
  EXPECT_TRUE(s.has_value());
  return std::move(*s);
}

BpfProcedure make_program(Program p) {
  auto b = BpfProcedure::create(std::move(p));
  EXPECT_TRUE(b.has_value());
  return std::move(*b);
}

SeccompWords input(uint32_t nr, uint32_t arch = kX86_64, uint64_t arg0 = 0) {
  SeccompData d;
  d.nr = nr;
  d.arch = arch;
  d.args[0] = arg0;
  return to_words(d, Endian::kLittle);
}

TEST(StackProcedure, ProvedEqualToTheHandMergedProgram) {
  // Oldest: 39 -> ERRNO(1), 40 -> ALLOW, else ALLOW.
  // Newest: 39 -> TRAP(7), 40 -> ERRNO(2), else LOG.
  // By hand: 39 -> TRAP(7) (trap below errno), 40 -> ERRNO(2), else LOG.
  const StackProcedure stack = make_stack({two_numbers(39, 0x00050001, 40, 0x7fff0000, 0x7fff0000),
                                           two_numbers(39, 0x00030007, 40, 0x00050002, 0x7ffc0000)});
  const BpfProcedure merged = make_program(two_numbers(39, 0x00030007, 40, 0x00050002, 0x7ffc0000));
  const EquivResult r = check_equivalent(stack, merged);
  EXPECT_EQ(r.verdict, EquivResult::Verdict::kEquivalent);
  EXPECT_TRUE(r.proved);
}

TEST(StackProcedure, TieKeepsTheNewestData) {
  // ERRNO(1) then ERRNO(2) on 39: the kernel keeps the newest, ERRNO(2).
  const StackProcedure stack = make_stack({two_numbers(39, 0x00050001, 40, 0x7fff0000, 0x7fff0000),
                                           two_numbers(39, 0x00050002, 40, 0x7fff0000, 0x7fff0000)});
  const BpfProcedure newest = make_program(two_numbers(39, 0x00050002, 40, 0x7fff0000, 0x7fff0000));
  const BpfProcedure oldest = make_program(two_numbers(39, 0x00050001, 40, 0x7fff0000, 0x7fff0000));
  EXPECT_EQ(check_equivalent(stack, newest).verdict, EquivResult::Verdict::kEquivalent);
  EquivOptions o;
  o.max_mismatches = 10;
  const EquivResult r = check_equivalent(stack, oldest, o);
  ASSERT_EQ(r.verdict, EquivResult::Verdict::kDifferent);
  ASSERT_EQ(r.mismatches.size(), 1U);
  EXPECT_EQ(r.mismatches[0].a_action, Action::Errno(2));
  EXPECT_EQ(r.mismatches[0].input[0], 39U);
  // f1, the second installed, is the kernel's filter 1.
  EXPECT_EQ(r.mismatches[0].a_where.rfind("filter 1 (f1): ", 0), 0U) << r.mismatches[0].a_where;
  EXPECT_EQ(stack.deciding_filter(input(39)), 1U);
  EXPECT_EQ(stack.deciding_filter(input(41)), std::nullopt);  // every filter allows
}

TEST(StackProcedure, SymbolicReturnWinsOnlyWhenNewer) {
  // ret A with A = 0x00050000 | (args[0] & 0xffff): ERRNO with input data.
  const Program errno_from_arg = {stmt(kLd | kW | kAbs, 16), stmt(bpf::kAlu | bpf::kAnd | kK, 0xffff),
                                  stmt(bpf::kAlu | bpf::kOr | kK, 0x00050000), stmt(kRet | bpf::kRetA, 0)};
  const Program errno3 = {ret(0x00050003)};
  // The symbolic filter newest: its data wins every tie.
  EXPECT_EQ(check_equivalent(make_stack({errno3, errno_from_arg}), make_program(errno_from_arg)).verdict,
            EquivResult::Verdict::kEquivalent);
  // The constant filter newest: ERRNO(3) for every input.
  const EquivResult r = check_equivalent(make_stack({errno_from_arg, errno3}), make_program(errno3));
  EXPECT_EQ(r.verdict, EquivResult::Verdict::kEquivalent);
  EXPECT_TRUE(r.proved);
}

// A stack walks each later filter anew under every path of the ones
// before: with 2^40 paths a filter, the joint paths are far beyond any
// budget counted in paths. The instructions stepped are bounded instead
// (EquivOptions::max_steps): the walk stops, says why, and the tests run
// no more instructions either.
TEST(StackProcedure, AStackWhosePathsMultiplyStopsAtTheStepBudget) {
  Program branching;
  for (uint32_t i = 0; i < 40; ++i) {
    branching.push_back(stmt(kLd | kW | kAbs, 16 + 8 * (i % 6)));                     // A = low word of args[i % 6]
    branching.push_back(jump(kJmp | bpf::kJset | kK, uint32_t{1} << (i / 6), 0, 1));  // bit set: X = A
    branching.push_back(stmt(bpf::kMisc | bpf::kTax, 0));
    branching.push_back(stmt(bpf::kMisc | bpf::kTxa, 0));
  }
  branching.push_back(ret(0x7fff0000));
  EquivOptions o;
  o.max_steps = 100'000;
  const EquivResult r = check_equivalent(make_stack({branching, branching}), make_program({ret(0x7fff0000)}), o);
  EXPECT_EQ(r.verdict, EquivResult::Verdict::kUndecided);
  EXPECT_FALSE(r.proved);
  EXPECT_EQ(r.not_proved_reason, "the walk stopped after 100000 instructions (budget)");
  ASSERT_FALSE(r.unsupported.empty());
  EXPECT_NE(r.unsupported.back().what.find("the walk's budget of instructions ran out"), std::string::npos)
      << r.unsupported.back().what;
  EXPECT_GT(r.tests_run, 0u);
  EXPECT_LE(r.tests_run, o.max_steps / (2 * branching.size() + 1));
}

// x86_64 only; read (0), getpid (39), getppid (110) allowed, else ERRNO(1);
// other arches and x32 numbers KILL_PROCESS.
policy::Policy small_policy() {
  policy::Policy p;
  policy::ArchPolicy a;
  a.arch = syscalls::ArchId::kX86_64;
  a.default_action = Action::Errno(1);
  for (uint32_t nr : {0u, 39u, 110u}) a.rules[nr].push_back(policy::Rule{Action::Allow(), {}, {}});
  p.arches.push_back(a);
  p.bad_arch_action = Action::KillProcess();
  return p;
}

// The policy split in two filters that each fall short of it: the arch and
// x32 check (allowing the rest), and the numbers (with no arch check).
Program arch_filter() {
  return {stmt(kLd | kW | kAbs, 4),
          jump(kJmp | kJeq | kK, kX86_64, 0, 5),
          load_nr(),
          jump(kJmp | kJge | kK, 0x40000000, 0, 2),
          jump(kJmp | kJeq | kK, 0xffffffff, 1, 0),
          ret(0x80000000),
          ret(0x7fff0000),
          ret(0x80000000)};
}
Program numbers_filter(uint32_t getpid_answer) {
  return {load_nr(),          jump(kJmp | kJeq | kK, 0, 3, 0),   jump(kJmp | kJeq | kK, 39, 0, 1),
          ret(getpid_answer), jump(kJmp | kJeq | kK, 110, 0, 1), ret(0x7fff0000),
          ret(0x00050001)};
}

TEST(StackProof, TwoFiltersTogetherEqualThePolicy) {
  const policy::Policy p = small_policy();
  // Neither filter alone implements the policy ...
  auto alone = prove_equivalent(numbers_filter(0x7fff0000), p);
  ASSERT_TRUE(alone.has_value());
  EXPECT_FALSE(alone->equivalent());
  // ... the stack does.
  auto v = prove_stack_equivalent(make_stack({arch_filter(), numbers_filter(0x7fff0000)}), p);
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->equivalent());
  EXPECT_TRUE(v->equiv.proved);
}

TEST(StackProof, ASecondFilterChangingOneSyscallIsNamed) {
  const policy::Policy p = small_policy();
  EquivOptions o;
  o.max_mismatches = 100;
  // The newest filter answers getpid ERRNO(13) instead of ALLOW.
  auto v = prove_stack_equivalent(make_stack({arch_filter(), numbers_filter(0x0005000d)}), p, o);
  ASSERT_TRUE(v.has_value());
  ASSERT_FALSE(v->equivalent());
  ASSERT_EQ(v->counterexamples.size(), 1U);
  const Counterexample& c = v->counterexamples[0];
  EXPECT_EQ(c.data.nr, 39U);
  EXPECT_EQ(c.data.arch, kX86_64);
  EXPECT_EQ(c.filter_action, Action::Errno(13));
  EXPECT_EQ(c.policy_action, Action::Allow());
  EXPECT_TRUE(c.stacked);
  EXPECT_EQ(c.deciding_filter, 1U);  // kernel index = installation position
  EXPECT_EQ(c.deciding_filter_name, "f1");
  EXPECT_EQ(c.filter_where.rfind("filter 1 (f1): ", 0), 0U) << c.filter_where;
  // The same change in the oldest of three filters: still found, and named.
  auto w =
      prove_stack_equivalent(make_stack({numbers_filter(0x0005000d), arch_filter(), numbers_filter(0x7fff0000)}), p, o);
  ASSERT_TRUE(w.has_value());
  ASSERT_EQ(w->counterexamples.size(), 1U);
  EXPECT_EQ(w->counterexamples[0].deciding_filter, 0U);
  EXPECT_EQ(w->counterexamples[0].deciding_filter_name, "f0");
}

// The newest filter answers every number ERRNO(1): the stack tells no
// syscall apart. The cause group names that filter and does not explain the
// stack by how libseccomp builds a single filter.
TEST(StackProof, CauseGroupsNameTheDecidingFilter) {
  const policy::Policy p = small_policy();
  EquivOptions o;
  o.max_mismatches = 100;
  auto v = prove_stack_equivalent(make_stack({arch_filter(), {ret(0x00050001)}}), p, o);
  ASSERT_TRUE(v.has_value());
  ASSERT_FALSE(v->equivalent());
  const std::vector<CauseGroup> groups = group_by_cause(*v);
  ASSERT_EQ(groups.size(), 1U);
  EXPECT_EQ(groups[0].cause, Cause::kNoSyscallNumber);
  EXPECT_EQ(cause_id(groups[0].cause), "no-syscall-number");
  EXPECT_EQ(groups[0].deciding_filters, std::vector<std::string>{"filter 1 (f1)"});
  const std::string text = group_text(groups[0]);
  EXPECT_EQ(text,
            "answered alike by the stack for every syscall of that architecture, which the profile tells apart; "
            "decided by filter 1 (f1)");
  const std::string report = format_verification(*v);
  EXPECT_NE(report.find("\n  3 are " + text + ": "), std::string::npos) << report;
  EXPECT_EQ(report.find("libseccomp"), std::string::npos) << report;
  // One filter keeps the single-filter text.
  auto alone = prove_equivalent({ret(0x00050001)}, p, o);
  ASSERT_TRUE(alone.has_value());
  const std::vector<CauseGroup> single = group_by_cause(*alone);
  ASSERT_FALSE(single.empty());
  EXPECT_FALSE(single[0].stacked);
  EXPECT_EQ(group_text(single[0]), cause_text(single[0].cause));
}

TEST(StackProof, KillInAnyFilterWins) {
  // i386 is killed by the arch filter (the oldest: filter 0) whatever the
  // numbers filter says.
  const StackProcedure stack = make_stack({arch_filter(), numbers_filter(0x7fff0000)});
  EXPECT_EQ(stack.run(input(39, kI386)), Action::KillProcess());
  EXPECT_EQ(stack.deciding_filter(input(39, kI386)), 0U);
  EXPECT_EQ(stack.run(input(39)), Action::Allow());
  EXPECT_EQ(stack.run(input(1)), Action::Errno(1));
}

// A random filter over the number and the low words of arguments 0 and 1:
// `tests` blocks of a load and a comparison with a small constant, each
// jumping forward to a later block or to one of the returns at the end.
Program random_filter(std::mt19937_64& rng, uint32_t tests) {
  static constexpr uint32_t kOffsets[] = {0, 16, 24};
  static constexpr uint16_t kJumps[] = {kJmp | kJeq | kK, kJmp | bpf::kJgt | kK, kJmp | kJge | kK,
                                        kJmp | bpf::kJset | kK};
  // ALLOW (also with data, which the kernel drops), ERRNO(1) and (2), TRAP,
  // LOG, KILL_PROCESS, KILL_THREAD, TRACE.
  static constexpr uint32_t kReturns[] = {0x7fff0000, 0x7fff0005, 0x00050001, 0x00050002, 0x00030007,
                                          0x7ffc0000, 0x80000000, 0x00000000, 0x7ff00003};
  constexpr uint32_t kRets = 4;
  std::vector<uint32_t> rets;
  for (uint32_t r = 0; r < kRets; ++r) rets.push_back(kReturns[rng() % std::size(kReturns)]);
  Program p;
  auto target = [&](uint32_t block) {
    // A later block's load or a return (after the 2 * tests instructions).
    const uint32_t choices = tests - block - 1 + kRets;
    const auto c = static_cast<uint32_t>(rng() % choices);
    const uint32_t to = c < tests - block - 1 ? 2 * (block + 1 + c) : 2 * tests + (c - (tests - block - 1));
    return static_cast<uint8_t>(to - (2 * block + 2));
  };
  for (uint32_t b = 0; b < tests; ++b) {
    p.push_back(stmt(kLd | kW | kAbs, kOffsets[rng() % std::size(kOffsets)]));
    const uint8_t jt = target(b);
    const uint8_t jf = target(b);
    p.push_back(jump(kJumps[rng() % std::size(kJumps)], static_cast<uint32_t>(rng() % 8), jt, jf));
  }
  for (uint32_t r : rets) p.push_back(ret(r));
  return p;
}

// The kernel's rule, written out: from the newest filter, a return value
// replaces the one kept only when its action part is strictly lower as a
// signed number; ALLOW to begin with (and when every filter allows).
uint32_t kernel_combination(const std::vector<Program>& stack, const SeccompWords& in) {
  uint32_t kept = 0x7fff0000;
  for (size_t k = stack.size(); k-- > 0;) {
    auto interp = bpf::Interpreter::create(stack[k]);
    EXPECT_TRUE(interp.has_value());
    const uint32_t r = interp->run(in).ret;
    if (static_cast<int32_t>(r & 0xffff0000U) < static_cast<int32_t>(kept & 0xffff0000U)) kept = r;
  }
  return kept;
}

Action follow(const DagPool& pool, DagPool::Ref r, const SeccompWords& in) {
  while (!DagPool::is_leaf(r)) {
    const DagPool::Node n = pool.at(r);
    r = holds(n.atom, in[n.word]) ? n.if_true : n.if_false;
  }
  return pool.action(r);
}

// A stack as one diagram (what lets the diagrams' walk and the
// satisfiability search prove stacks) answers every input as the kernel
// combines its filters' answers.
TEST(StackDiagram, AnswersAsTheKernelCombinesTheFilters) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::vector<Program> programs;
    for (uint64_t k = 0, n = 1 + rng() % 3; k < n; ++k)
      programs.push_back(random_filter(rng, 1 + static_cast<uint32_t>(rng() % 12)));
    const StackProcedure stack = make_stack(programs);
    DagPool pool;
    const std::optional<uint32_t> root = stack.to_diagram(pool);
    ASSERT_TRUE(root.has_value()) << "round " << round;
    for (int i = 0; i < 200; ++i) {
      SeccompData d;
      d.arch = kX86_64;
      d.nr = static_cast<uint32_t>(rng() % 10);
      d.args[0] = rng() % 10;
      d.args[1] = rng() % 10;
      const SeccompWords in = to_words(d, Endian::kLittle);
      ASSERT_EQ(encode(follow(pool, *root, in)), kernel_combination(programs, in))
          << "round " << round << " nr " << d.nr << " args " << d.args[0] << ", " << d.args[1];
    }
  }
}

// 300 rules on flag masks of ioctl compiled into one filter, installed
// twice: the stack's paths multiply past the plain walk's budget, and the
// stack is proved like the single filter (the satisfiability search), or a
// difference found, with an input, where the newer copy answers otherwise.
TEST(StackProof, AStackOfFlagMaskFiltersIsProvedLikeOneFilter) {
  const policy::Policy p = testing::flag_mask_policy(300, 300, 1, 3);
  auto compiled = compiler::compile(p, {});
  ASSERT_TRUE(compiled.has_value());
  const Program& filter = compiled->program;
  auto v = prove_stack_equivalent(make_stack({filter, filter}), p);
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->equivalent());
  EXPECT_TRUE(v->equiv.proved) << v->equiv.not_proved_reason;
  // The newer copy answers ERRNO(12) where it answered ERRNO(13): the same
  // action part, so the newer filter's data wins, and the stack differs.
  Program changed = filter;
  for (bpf::Insn& in : changed) {
    if (in.code == (kRet | kRetK) && in.k == 0x0005000d) {
      in.k = 0x0005000c;
      break;
    }
  }
  auto w = prove_stack_equivalent(make_stack({filter, changed}), p);
  ASSERT_TRUE(w.has_value());
  ASSERT_FALSE(w->equivalent());
  ASSERT_FALSE(w->counterexamples.empty());
  const Counterexample& c = w->counterexamples[0];
  EXPECT_EQ(c.filter_action, Action::Errno(12));
  EXPECT_EQ(policy::evaluate(p, c.data).action, Action::Errno(13));
}

}  // namespace
}  // namespace sysfence::verify

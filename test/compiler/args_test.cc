// Pass 3: the canonical RuleSet of a syscall's rules and its compilation into
// word tests (high/low words per byte order, all seven operators, the
// MASKED_EQ shapes, one load per word and path, shared subtrees).
#include "compiler/args.h"

#include <gtest/gtest.h>

#include <map>

#include "bpf/interp.h"
#include "compiler/graph.h"
#include "test/compiler/support.h"

namespace sysfence::compiler {
namespace {

using policy::ArgCondition;
using policy::ArgWidth;
using policy::CmpOp;
using policy::Rule;
using testing::Rng;

ArgCondition cond(uint8_t index, CmpOp op, uint64_t value, uint64_t two = 0, ArgWidth w = ArgWidth::k64) {
  return ArgCondition{index, op, value, two, w};
}
Rule rule(Action a, std::vector<ArgCondition> c) { return Rule{a, std::move(c), {}}; }
RuleSet rules_of(const std::vector<Rule>& rules, Action fallback) { return rule_set(rules, fallback); }

// The reference: policy::evaluate on a one-syscall policy.
Action reference(const std::vector<Rule>& rules, Action fallback, const std::array<uint64_t, 6>& args) {
  policy::Policy p;
  policy::ArchPolicy ap;
  ap.arch = syscalls::ArchId::kX86_64;
  ap.default_action = fallback;
  ap.rules[0] = rules;
  p.arches.push_back(ap);
  SeccompData d;
  d.arch = syscalls::arch(syscalls::ArchId::kX86_64).audit_arch;
  d.args = args;
  return policy::evaluate(p, d).action;
}

// The subtree for `rules` as a stand-alone program: one diagram, or the
// smallest of the diagram and the chains (`best`).
bpf::Program subtree_program(const std::vector<Rule>& rules, Action fallback, Endian e, bool best = false,
                             size_t max_states = ArgCompiler::kMaxStates) {
  Graph g;
  ArgCompiler c(g, e, TreeOptions{}, max_states);
  const RuleSet s = rule_set(rules, fallback);
  const Edge root = best ? c.compile_rules(s, std::nullopt) : c.compile(s, std::nullopt);
  auto out = emit(g, root);
  EXPECT_TRUE(out) << out.error().message;
  return out ? out->program : bpf::Program{};
}

TEST(RuleSet, NoRulesIsTheFallback) {
  const RuleSet s = rules_of({}, Action::Errno(1));
  EXPECT_TRUE(s.constant());
  EXPECT_EQ(s.otherwise, Action::Errno(1));
}

TEST(RuleSet, UnconditionalRuleDecidesEverythingLessRestrictive) {
  // ALLOW always, KILL when arg0 == 5: the KILL rule stays.
  RuleSet s =
      rules_of({rule(Action::Allow(), {}), rule(Action::KillProcess(), {cond(0, CmpOp::kEq, 5)})}, Action::Errno(1));
  ASSERT_EQ(s.rules.size(), 1u);
  EXPECT_EQ(s.rules[0].action, Action::KillProcess());
  EXPECT_EQ(s.otherwise, Action::Allow());
  // KILL always: nothing else matters.
  s = rules_of({rule(Action::KillProcess(), {}), rule(Action::Allow(), {cond(0, CmpOp::kEq, 5)})}, Action::Errno(1));
  EXPECT_TRUE(s.constant());
  EXPECT_EQ(s.otherwise, Action::KillProcess());
}

TEST(RuleSet, RulesWithTheFallbackActionDropOnlyAtTheTail) {
  // ERRNO(1) when arg0 == 1 adds nothing to an ERRNO(1) fallback...
  RuleSet s = rules_of({rule(Action::Errno(1), {cond(0, CmpOp::kEq, 1)})}, Action::Errno(1));
  EXPECT_TRUE(s.constant());
  // ...unless it shadows a less restrictive rule: arg0 == 1 must stay ERRNO.
  s = rules_of({rule(Action::Errno(1), {cond(0, CmpOp::kEq, 1)}), rule(Action::Allow(), {cond(0, CmpOp::kLt, 10)})},
               Action::Errno(1));
  ASSERT_EQ(s.rules.size(), 2u);
  EXPECT_EQ(s.rules[0].action, Action::Errno(1));
}

TEST(RuleSet, ImpossibleAndTrivialConditions) {
  // Datum bits outside the mask are dropped, as libseccomp does: mask 0xf0,
  // datum 0x0f tests (arg & 0xf0) == 0.
  RuleSet s = rules_of({rule(Action::Allow(), {cond(0, CmpOp::kMaskedEq, 0xf0, 0x0f)})}, Action::Trap());
  EXPECT_FALSE(s.constant());
  EXPECT_EQ(decide(s, {0x0f}), Action::Allow());
  EXPECT_EQ(decide(s, {0x100}), Action::Allow());
  EXPECT_EQ(decide(s, {0x10}), Action::Trap());
  // Mask 0: every argument matches, whatever the datum.
  s = rules_of({rule(Action::Allow(), {cond(0, CmpOp::kMaskedEq, 0, 0x5)})}, Action::Trap());
  EXPECT_TRUE(s.constant());
  EXPECT_EQ(s.otherwise, Action::Allow());
  // >= 0 always holds: the rule is unconditional.
  s = rules_of({rule(Action::Allow(), {cond(1, CmpOp::kGe, 0)})}, Action::Trap());
  EXPECT_TRUE(s.constant());
  EXPECT_EQ(s.otherwise, Action::Allow());
  // An index past args[5] never holds (policy::evaluate).
  s = rules_of({rule(Action::Allow(), {cond(6, CmpOp::kEq, 0)})}, Action::Trap());
  EXPECT_TRUE(s.constant());
  EXPECT_EQ(s.otherwise, Action::Trap());
  // k32: a constant beyond 32 bits compares its low word only.
  s = rules_of({rule(Action::Allow(), {cond(0, CmpOp::kEq, 0x500000007, 0, ArgWidth::k32)})}, Action::Trap());
  ASSERT_EQ(s.rules.size(), 1u);
  EXPECT_FALSE(s.rules[0].conditions[0].hi);
  EXPECT_EQ(s.rules[0].conditions[0].value, 7u);
}

TEST(RuleSet, OrderOfRulesAndConditionsDoesNotMatter) {
  Rng rng(21);
  for (int iter = 0; iter < 200; ++iter) {
    std::vector<Rule> rules;
    const unsigned n = rng.between(1, 5);
    for (unsigned r = 0; r < n; ++r) {
      Rule x;
      x.action = rng.chance(50) ? Action::Allow() : Action::Errno(static_cast<uint16_t>(rng.below(3)));
      for (unsigned c = rng.below(3); c-- > 0;) {
        x.conditions.push_back(cond(static_cast<uint8_t>(rng.below(3)), static_cast<CmpOp>(rng.below(7)),
                                    testing::interesting_value(rng), rng.next()));
      }
      rules.push_back(x);
    }
    std::vector<Rule> shuffled = rules;
    std::reverse(shuffled.begin(), shuffled.end());
    for (Rule& r : shuffled) std::reverse(r.conditions.begin(), r.conditions.end());
    EXPECT_EQ(rule_set(rules, Action::Trap()), rule_set(shuffled, Action::Trap()));
  }
}

// decide() and the compiled subtree both agree with policy::evaluate.
TEST(ArgCompiler, RandomRulesAgreeWithTheSpecification) {
  Rng rng(1234);
  size_t checked = 0;
  for (int iter = 0; iter < 400; ++iter) {
    std::vector<Rule> rules;
    const unsigned n = rng.between(1, 5);
    for (unsigned r = 0; r < n; ++r) {
      Rule x;
      const Action actions[] = {Action::Allow(), Action::Errno(1),     Action::Errno(2),
                                Action::Trap(),  Action::KillThread(), Action::Log()};
      x.action = actions[rng.below(6)];
      for (unsigned c = rng.below(4); c-- > 0;) {
        ArgCondition k =
            cond(static_cast<uint8_t>(rng.below(3)), static_cast<CmpOp>(rng.below(7)), testing::interesting_value(rng));
        if (k.op == CmpOp::kMaskedEq) k.value_two = rng.chance(80) ? rng.next() & k.value : rng.next();
        if (rng.chance(25)) k.width = ArgWidth::k32;
        x.conditions.push_back(k);
      }
      rules.push_back(x);
    }
    const Action fallback = rng.chance(50) ? Action::Errno(1) : Action::Allow();
    const RuleSet s = rule_set(rules, fallback);
    for (Endian e : {Endian::kLittle, Endian::kBig}) {
      // Alternately the smallest of diagram and chains, with a bound low
      // enough that some diagrams are abandoned half-built.
      const bool best = iter % 2 == 1;
      const bpf::Program prog = subtree_program(rules, fallback, e, best, iter % 4 == 3 ? 3 : ArgCompiler::kMaxStates);
      auto in = bpf::Interpreter::create(prog);
      ASSERT_TRUE(in) << in.error().message;
      // Inputs around every constant.
      std::vector<uint64_t> cands{0, ~uint64_t{0}, 0xffffffffULL, 0x100000000ULL};
      for (const Rule& r : rules) {
        for (const ArgCondition& k : r.conditions) {
          for (uint64_t d :
               std::initializer_list<uint64_t>{k.value, k.value - 1, k.value + 1, k.value_two, k.value_two | ~k.value,
                                               k.value & 0xffffffffULL, k.value ^ 0x100000000ULL}) {
            cands.push_back(d);
          }
        }
      }
      for (int t = 0; t < 120; ++t) {
        std::array<uint64_t, 6> args{};
        for (unsigned i = 0; i < 3; ++i) {
          args[i] = rng.chance(15) ? rng.next() : cands[rng.below(static_cast<uint32_t>(cands.size()))];
        }
        const Action want = reference(rules, fallback, args);
        EXPECT_EQ(decide(s, args), want);
        SeccompData d;
        d.args = args;
        ASSERT_EQ(in->run(d, e).action(), want) << "iter " << iter;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 90000u);
}

// Rules with more conditions than a rule keeps inline (Conditions::kInline):
// canonical whatever their order, and compiled to what the specification says.
TEST(ArgCompiler, RulesWithManyConditions) {
  Rng rng(77);
  for (int iter = 0; iter < 60; ++iter) {
    std::vector<Rule> rules;
    const unsigned n = rng.between(1, 4);
    for (unsigned r = 0; r < n; ++r) {
      Rule x;
      x.action = rng.chance(50) ? Action::Allow() : Action::Errno(static_cast<uint16_t>(1 + rng.below(2)));
      for (unsigned c = rng.between(static_cast<uint32_t>(Conditions::kInline) + 1, 9); c-- > 0;) {
        const auto op = rng.chance(50) ? CmpOp::kEq : static_cast<CmpOp>(rng.below(7));
        ArgCondition k = cond(static_cast<uint8_t>(rng.below(6)), op, rng.below(4));
        if (k.op == CmpOp::kMaskedEq) k.value_two = rng.below(4) & k.value;
        x.conditions.push_back(k);
      }
      rules.push_back(x);
    }
    const Action fallback = Action::Errno(9);
    std::vector<Rule> shuffled = rules;
    std::reverse(shuffled.begin(), shuffled.end());
    for (Rule& r : shuffled) std::reverse(r.conditions.begin(), r.conditions.end());
    const RuleSet s = rule_set(rules, fallback);
    EXPECT_EQ(s, rule_set(shuffled, fallback));
    const bpf::Program prog = subtree_program(rules, fallback, Endian::kLittle, iter % 2 == 1);
    auto in = bpf::Interpreter::create(prog);
    ASSERT_TRUE(in) << in.error().message;
    for (int t = 0; t < 300; ++t) {
      std::array<uint64_t, 6> args{};
      for (uint64_t& a : args) a = rng.below(5);
      const Action want = reference(rules, fallback, args);
      EXPECT_EQ(decide(s, args), want);
      SeccompData d;
      d.args = args;
      ASSERT_EQ(in->run(d, Endian::kLittle).action(), want) << "iter " << iter;
    }
  }
}

// Many conditions on one argument whose constants repeat, touch 0 and the
// word's largest value, and share high words: an interval split walks its
// pieces with the conditions' truths changing at their constants (several
// at one piece start, the first piece's own at 0), and every piece must
// decide as the specification does, checked at every constant and next to it.
TEST(ArgCompiler, ManyConditionsOnOneWordAgreeWithTheSpecification) {
  Rng rng(4321);
  const uint64_t his[] = {0, 1, 0xffffffffULL};
  const uint64_t los[] = {0, 1, 2, 7, 0xfffffffeULL, 0xffffffffULL};
  for (int iter = 0; iter < 40; ++iter) {
    std::vector<Rule> rules;
    std::vector<uint64_t> probes{0, ~uint64_t{0}};
    for (unsigned r = rng.between(8, 30); r-- > 0;) {
      Rule x;
      x.action = rng.chance(50) ? Action::Allow() : Action::Errno(static_cast<uint16_t>(1 + rng.below(3)));
      // Comparisons only, kNe .. kGt (a MASKED_EQ is a test of its own).
      ArgCondition k = cond(0, static_cast<CmpOp>(rng.below(6)), his[rng.below(3)] << 32 | los[rng.below(6)]);
      if (rng.chance(25)) k.width = ArgWidth::k32;
      // Sometimes a range: two conditions on the word.
      ArgCondition range = cond(0, static_cast<CmpOp>(rng.below(6)), his[rng.below(3)] << 32 | los[rng.below(6)]);
      for (const ArgCondition& c : {k, range}) {
        if (&c == &range && !rng.chance(30)) break;
        x.conditions.push_back(c);
        for (uint64_t d : {c.value - 1, c.value, c.value + 1}) probes.push_back(d);
      }
      if (rng.chance(40)) x.conditions.push_back(cond(1, CmpOp::kEq, rng.below(3)));
      rules.push_back(x);
    }
    const Action fallback = Action::Errno(9);
    const RuleSet s = rule_set(rules, fallback);
    const bpf::Program prog = subtree_program(rules, fallback, Endian::kLittle, iter % 2 == 1);
    auto in = bpf::Interpreter::create(prog);
    ASSERT_TRUE(in) << in.error().message;
    for (const uint64_t a0 : probes) {
      for (uint64_t a1 = 0; a1 < 3; ++a1) {
        SeccompData d;
        d.args[0] = a0;
        d.args[1] = a1;
        const Action want = reference(rules, fallback, d.args);
        EXPECT_EQ(decide(s, d.args), want);
        ASSERT_EQ(in->run(d, Endian::kLittle).action(), want) << "iter " << iter << " a0 " << std::hex << a0;
      }
    }
  }
}

// Random intervals covering the word: `n` of them, each a single value or
// a range, with leaves drawn from a few.
std::vector<Interval> random_intervals(Rng& rng, size_t n, const std::vector<bool>& single,
                                       const std::vector<uint32_t>& leaves) {
  std::vector<Interval> out;
  uint32_t lo = 0;
  for (size_t i = 0; i < n; ++i) {
    const bool last = i + 1 == n;
    // A range ends short of the word's end so that the ones after it fit.
    const uint32_t room = static_cast<uint32_t>(0x10000 / n);
    uint32_t hi = single[i] ? lo : lo + rng.between(1, room);
    if (last && !single[i]) hi = 0xffffffffU;
    out.push_back(Interval{lo, hi, leaves[i]});
    if (!last) lo = hi + 1;
  }
  return out;
}

// ValueTrees keeps one tree per shape (leaves, single values) and gives it
// the constants of each split: exactly the tree the dynamic program builds
// over that split's own intervals, whatever its constants.
TEST(ValueTrees, OneShapeOneTreeWhateverTheConstants) {
  Rng rng(99);
  for (int iter = 0; iter < 300; ++iter) {
    const size_t n = rng.between(2, 24);
    std::vector<bool> single(n);
    std::vector<uint32_t> leaves(n);
    for (size_t i = 0; i < n; ++i) {
      // The last interval reaches the word's end: a single value only when
      // it is that end, which random_intervals does not make.
      single[i] = i + 1 < n && rng.chance(50);
      // Adjacent intervals of one split have different leaves.
      do leaves[i] = rng.below(4);
      while (i > 0 && leaves[i] == leaves[i - 1]);
    }
    const std::vector<Interval> first = random_intervals(rng, n, single, leaves);
    const std::vector<Interval> second = random_intervals(rng, n, single, leaves);
    std::vector<double> weights(n, 1.0);
    weights.front() = static_cast<double>(n - 1);
    TreeOptions opts;
    if (iter % 2 == 1) opts.size_weight = 1e9;
    ValueTrees::Shape shape;
    ValueTrees::shape_of(first, shape);
    ValueTrees::Shape other;
    ValueTrees::shape_of(second, other);
    ASSERT_EQ(shape, other);
    ValueTrees trees;
    const DecisionTree& kept = trees.add(iter % 2 == 1, shape, first, build_tree(first, weights, opts));
    EXPECT_EQ(trees.find(iter % 2 == 1, shape), &kept);
    EXPECT_EQ(trees.find(iter % 2 == 0, shape), nullptr);
    DecisionTree out;
    for (const std::vector<Interval>* intervals : {&first, &second}) {
      const DecisionTree want = build_tree(*intervals, weights, opts);
      const DecisionTree& got = ValueTrees::instance(kept, *intervals, out);
      ASSERT_EQ(got.nodes.size(), want.nodes.size()) << "iter " << iter;
      for (size_t i = 0; i < want.nodes.size(); ++i) {
        const TreeNode& a = got.nodes[i];
        const TreeNode& b = want.nodes[i];
        EXPECT_TRUE(a.kind == b.kind && a.k == b.k && a.leaf == b.leaf && a.below == b.below && a.above == b.above)
            << "iter " << iter << " node " << i;
      }
      EXPECT_EQ(got.root, want.root);
      EXPECT_EQ(got.tests, want.tests);
      EXPECT_EQ(got.weighted_tests, want.weighted_tests);
      EXPECT_EQ(got.interval_tests, want.interval_tests);
    }
  }
}

size_t count(const bpf::Program& p, uint16_t code, std::optional<uint32_t> k = std::nullopt) {
  size_t n = 0;
  for (const bpf::Insn& in : p) n += in.code == code && (!k || in.k == *k);
  return n;
}

TEST(ArgCompiler, MaskedEqualityShapes) {
  const Action allow = Action::Allow();
  const Action no = Action::Errno(1);
  // One bit, datum set: jset.
  bpf::Program p = subtree_program({rule(allow, {cond(0, CmpOp::kMaskedEq, 0x10, 0x10)})}, no, Endian::kLittle);
  EXPECT_EQ(count(p, bpf::kJmp | bpf::kJset | bpf::kK, 0x10), 1u);
  EXPECT_EQ(count(p, bpf::kAlu | bpf::kAnd | bpf::kK), 0u);
  // Datum 0, several bits (clone's namespace flags): jset, no `and`.
  p = subtree_program({rule(allow, {cond(0, CmpOp::kMaskedEq, 0x7e020000, 0)})}, no, Endian::kLittle);
  EXPECT_EQ(count(p, bpf::kJmp | bpf::kJset | bpf::kK, 0x7e020000), 1u);
  EXPECT_EQ(count(p, bpf::kAlu | bpf::kAnd | bpf::kK), 0u);
  // The high word of the mask is 0: only the low word is loaded.
  EXPECT_EQ(count(p, bpf::kLd | bpf::kW | bpf::kAbs), 1u);
  EXPECT_EQ(count(p, bpf::kLd | bpf::kW | bpf::kAbs, 16), 1u);
  // All ones: jeq.
  p = subtree_program({rule(allow, {cond(0, CmpOp::kMaskedEq, 0xffffffff, 0x1234)})}, no, Endian::kLittle);
  EXPECT_EQ(count(p, bpf::kJmp | bpf::kJeq | bpf::kK, 0x1234), 1u);
  EXPECT_EQ(count(p, bpf::kAlu | bpf::kAnd | bpf::kK), 0u);
  // Anything else: and + jeq.
  p = subtree_program({rule(allow, {cond(0, CmpOp::kMaskedEq, 0xff00, 0x1200)})}, no, Endian::kLittle);
  EXPECT_EQ(count(p, bpf::kAlu | bpf::kAnd | bpf::kK, 0xff00), 1u);
  EXPECT_EQ(count(p, bpf::kJmp | bpf::kJeq | bpf::kK, 0x1200), 1u);
}

// Return values the kernel knows no action for are actions of their own
// (base/seccomp.h: an Action's identity is its whole 32-bit value): two rules
// that differ only in such bits split into two subtrees, never one shared.
TEST(ArgCompiler, UnknownActionBitsKeepRulesApart) {
  const Action first = decode(0x00aa0000);
  const Action second = decode(0x00bb0000);
  ASSERT_FALSE(first == second);
  const std::vector<Rule> rules = {rule(first, {cond(0, CmpOp::kEq, 1), cond(1, CmpOp::kEq, 5)}),
                                   rule(second, {cond(0, CmpOp::kEq, 2), cond(1, CmpOp::kEq, 5)})};
  const bpf::Program p = subtree_program(rules, Action::Allow(), Endian::kLittle);
  for (const uint64_t arg0 : {1, 2, 3}) {
    SeccompData d;
    d.args[0] = arg0;
    d.args[1] = 5;
    auto r = bpf::run(p, d, Endian::kLittle);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->action(), reference(rules, Action::Allow(), d.args)) << "arg0 " << arg0;
  }
}
// The compiled filter compares (arg & mask) == (datum & mask), as Docker's
// (libseccomp's) does: mask 0xff, datum 0x1ff tests the low byte for 0xff.
// Expected answers worked out by hand, on both byte orders and as 64-bit and
// 32-bit comparisons.
TEST(ArgCompiler, MaskedEqualityIgnoresDatumBitsOutsideTheMask) {
  const Action deny = Action::Errno(1);
  const Action allow = Action::Allow();
  for (ArgWidth w : {ArgWidth::k64, ArgWidth::k32}) {
    for (Endian e : {Endian::kLittle, Endian::kBig}) {
      const bpf::Program p = subtree_program({rule(deny, {cond(0, CmpOp::kMaskedEq, 0xff, 0x1ff, w)})}, allow, e);
      auto answer = [&](uint64_t arg0) {
        SeccompData d;
        d.args[0] = arg0;
        auto r = bpf::run(p, d, e);
        EXPECT_TRUE(r) << r.error().message;
        return r ? r->action() : Action::KillProcess();
      };
      EXPECT_EQ(answer(0xff), deny);
      EXPECT_EQ(answer(0x1ff), deny);
      EXPECT_EQ(answer(0xabcd00000000ffULL), deny);
      EXPECT_EQ(answer(0x0), allow);
      EXPECT_EQ(answer(0xfe), allow);
      EXPECT_EQ(answer(0x100), allow);
    }
  }
  // Bits outside the mask in the datum's high word: mask 0xff00000000,
  // datum 0x1200000001 tests (arg >> 32) & 0xff == 0x12.
  const bpf::Program p = subtree_program({rule(deny, {cond(2, CmpOp::kMaskedEq, 0xff00000000ULL, 0x1200000001ULL)})},
                                         allow, Endian::kLittle);
  auto answer = [&](uint64_t arg2) {
    SeccompData d;
    d.args[2] = arg2;
    auto r = bpf::run(p, d, Endian::kLittle);
    return r ? r->action() : Action::KillProcess();
  };
  EXPECT_EQ(answer(0x1200000000ULL), deny);
  EXPECT_EQ(answer(0x3412ffffffffULL), deny);
  EXPECT_EQ(answer(0x1200000001ULL), deny);
  EXPECT_EQ(answer(0x1300000001ULL), allow);
  EXPECT_EQ(answer(0x1), allow);
}

TEST(ArgCompiler, WordOffsetsFollowTheByteOrder) {
  const std::vector<Rule> rules{rule(Action::Allow(), {cond(1, CmpOp::kEq, 0x300000004ULL)})};
  const bpf::Program le = subtree_program(rules, Action::Errno(1), Endian::kLittle);
  const bpf::Program be = subtree_program(rules, Action::Errno(1), Endian::kBig);
  // args[1]: low word at 24 / high word at 28 on little-endian, swapped on big.
  EXPECT_EQ(le[0], bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 28));
  EXPECT_EQ(be[0], bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, 24));
  EXPECT_EQ(count(le, bpf::kLd | bpf::kW | bpf::kAbs, 24), 1u);
  EXPECT_EQ(count(be, bpf::kLd | bpf::kW | bpf::kAbs, 28), 1u);
}

// Every path of the program, with the number of loads of each word on it.
void paths(const bpf::Program& p, size_t pc, std::map<uint32_t, int> loads, bool masked,
           std::vector<std::pair<std::map<uint32_t, int>, bool>>& out) {
  while (true) {
    const bpf::Insn& in = p[pc];
    if (in.code == (bpf::kLd | bpf::kW | bpf::kAbs)) ++loads[in.k];
    if (in.code == (bpf::kAlu | bpf::kAnd | bpf::kK)) masked = true;
    if (bpf::insn_class(in.code) == bpf::kRet) {
      out.emplace_back(loads, masked);
      return;
    }
    if (bpf::insn_class(in.code) == bpf::kJmp) {
      if (bpf::insn_op(in.code) == bpf::kJa) {
        pc += 1 + in.k;
        continue;
      }
      paths(p, pc + 1 + in.jt, loads, masked, out);
      pc += 1 + in.jf;
      continue;
    }
    ++pc;
  }
}

TEST(ArgCompiler, EachWordLoadedOncePerPath) {
  // Docker's personality rules: arg0 is one of five values.
  std::vector<Rule> rules;
  for (uint64_t v : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    rules.push_back(rule(Action::Allow(), {cond(0, CmpOp::kEq, v)}));
  }
  // Plus rules on two more arguments, ordered comparisons on both words.
  rules.push_back(rule(Action::Trap(), {cond(1, CmpOp::kGt, 0x500000000ULL), cond(2, CmpOp::kLe, 7)}));
  rules.push_back(rule(Action::Log(), {cond(1, CmpOp::kNe, 3)}));
  const bpf::Program p = subtree_program(rules, Action::Errno(1), Endian::kLittle);
  std::vector<std::pair<std::map<uint32_t, int>, bool>> all;
  paths(p, 0, {}, false, all);
  ASSERT_FALSE(all.empty());
  for (const auto& [loads, masked] : all) {
    ASSERT_FALSE(masked);
    for (const auto& [word, n] : loads) EXPECT_EQ(n, 1) << "word " << word;
  }
  // The five values share one load of each word of arg0: a `jeq` chain, not
  // a reload per rule.
  EXPECT_EQ(count(p, bpf::kLd | bpf::kW | bpf::kAbs, 16), 1u);
  EXPECT_EQ(count(p, bpf::kLd | bpf::kW | bpf::kAbs, 20), 1u);
}

TEST(ArgCompiler, IdenticalSubtreesAreShared) {
  Graph g;
  ArgCompiler c(g, Endian::kLittle, TreeOptions{});
  const std::vector<Rule> rules{rule(Action::Allow(), {cond(0, CmpOp::kEq, 3)})};
  const Edge a = c.compile(rule_set(rules, Action::Errno(1)), std::nullopt);
  const size_t nodes = g.size();
  const Edge b = c.compile(rule_set(rules, Action::Errno(1)), std::nullopt);
  EXPECT_EQ(a, b);
  EXPECT_EQ(g.size(), nodes);
}

// Rules that each test two different arguments multiply in one diagram
// (every outcome on arg0 meets every outcome on arg1); compile_rules keeps
// them linear, as a chain of segments, and still agrees with the
// specification.
TEST(ArgCompiler, RulesOnManyArgumentsStayLinear) {
  std::vector<Rule> rules;
  const unsigned n = 24;
  for (unsigned i = 0; i < n; ++i) {
    const auto a = static_cast<uint8_t>(i % 4);
    const auto b = static_cast<uint8_t>((i + 1) % 4);
    rules.push_back(
        rule(i % 3 == 0 ? Action::Trap() : Action::Allow(),
             {cond(a, CmpOp::kEq, 100 + i, 0, ArgWidth::k32), cond(b, CmpOp::kEq, 200 + i, 0, ArgWidth::k32)}));
  }
  const bpf::Program diagram = subtree_program(rules, Action::Errno(1), Endian::kLittle);
  const bpf::Program best = subtree_program(rules, Action::Errno(1), Endian::kLittle, true);
  // A chain: at most a load and a test per condition, and the returns.
  EXPECT_LE(best.size(), 4 * n + 3);
  EXPECT_LT(best.size(), diagram.size());
  auto in = bpf::Interpreter::create(best);
  ASSERT_TRUE(in) << in.error().message;
  Rng rng(77);
  for (int t = 0; t < 4000; ++t) {
    std::array<uint64_t, 6> args{};
    for (unsigned i = 0; i < 4; ++i) args[i] = rng.chance(50) ? 100 + rng.below(n) : 200 + rng.below(n + 1);
    SeccompData d;
    d.args = args;
    ASSERT_EQ(in->run(d, Endian::kLittle).action(), reference(rules, Action::Errno(1), args)) << t;
  }
}

// Where one diagram is smallest (rules sharing a test on arg0, then values
// of arg1: arg0 tested once, then the values) compile_rules keeps it.
TEST(ArgCompiler, OneDiagramKeptWhenSmallest) {
  std::vector<Rule> rules;
  for (uint64_t v = 0; v < 40; ++v) {
    rules.push_back(
        rule(v % 2 == 0 ? Action::Allow() : Action::Trap(), {cond(0, CmpOp::kEq, 7), cond(1, CmpOp::kEq, v * 3)}));
  }
  const bpf::Program diagram = subtree_program(rules, Action::Errno(1), Endian::kLittle);
  const bpf::Program best = subtree_program(rules, Action::Errno(1), Endian::kLittle, true);
  EXPECT_LE(best.size(), diagram.size());
  // One segment: arg0 (offsets 16 and 20) is tested once, not once per rule.
  EXPECT_EQ(count(best, bpf::kLd | bpf::kW | bpf::kAbs, 16), 1u);
  EXPECT_EQ(count(best, bpf::kLd | bpf::kW | bpf::kAbs, 20), 1u);
}

// A few values of arg0 allowed: the smallest value trees are an equality
// chain that zero (the most common argument) runs through whole; the
// fastest test "below the first value" first. compile_rules builds the
// fastest trees wherever they differ from the smallest and keeps them when
// they save a quarter of the zero path at little size.
TEST(ArgCompiler, FastestTreesKeptForTheZeroPath) {
  std::vector<Rule> rules;
  for (uint64_t i = 0; i < 4; ++i)
    rules.push_back(rule(Action::Allow(), {cond(0, CmpOp::kEq, 0x10 + 3 * i, 0, ArgWidth::k32)}));
  Graph g;
  ArgCompiler c(g, Endian::kLittle, TreeOptions{});
  const Edge root = c.compile_rules(rule_set(rules, Action::Errno(1)), std::nullopt);
  // The load, "arg0 < 0x10", the return (the chain: four tests more).
  EXPECT_EQ(path_length(g, root, SeccompWords{}), 3u);
  auto out = emit(g, root);
  ASSERT_TRUE(out) << out.error().message;
  auto in = bpf::Interpreter::create(out->program);
  ASSERT_TRUE(in) << in.error().message;
  for (uint64_t v = 0; v < 0x20; ++v) {
    SeccompData d;
    d.args[0] = v;
    EXPECT_EQ(in->run(d, Endian::kLittle).action(), reference(rules, Action::Errno(1), d.args)) << v;
  }
}

TEST(ArgCompiler, EveryOperatorOnBothWords) {
  // Each operator, 64-bit, against a value with both words non-trivial:
  // exhaustive over a grid of high/low words around the constant.
  const uint64_t v = 0x0000000500000007ULL;
  for (int op = 0; op < 7; ++op) {
    ArgCondition k = cond(0, static_cast<CmpOp>(op), v);
    if (k.op == CmpOp::kMaskedEq) {
      k.value = 0x0000000f0000000fULL;
      k.value_two = 0x0000000500000007ULL;
    }
    const std::vector<Rule> rules{rule(Action::Allow(), {k})};
    for (Endian e : {Endian::kLittle, Endian::kBig}) {
      auto in = bpf::Interpreter::create(subtree_program(rules, Action::Errno(1), e));
      ASSERT_TRUE(in);
      for (uint64_t hi : {0ULL, 4ULL, 5ULL, 6ULL, 0xffffffffULL}) {
        for (uint64_t lo : {0ULL, 6ULL, 7ULL, 8ULL, 0x17ULL, 0xffffffffULL}) {
          SeccompData d;
          d.args[0] = (hi << 32) | lo;
          EXPECT_EQ(in->run(d, e).action(), reference(rules, Action::Errno(1), d.args))
              << "op " << op << " arg " << std::hex << d.args[0];
        }
      }
    }
  }
}

}  // namespace
}  // namespace sysfence::compiler

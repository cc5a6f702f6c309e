// The proof's fast path: hash-consed diagrams, their restriction by path
// constraints, programs as diagrams, and the memoized walk, checked against
// exhaustive evaluation on a domain small enough to be exact.
#include "verify/dag_pool.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <random>

#include "bpf/insn.h"
#include "test/bpf/random_program.h"
#include "test/verify/small_diagrams.h"
#include "verify/decision.h"
#include "verify/equiv.h"
#include "verify/symbolic.h"

namespace sysfence::verify {
namespace {

BpfProcedure make(bpf::Program p) {
  auto proc = BpfProcedure::create(std::move(p));
  EXPECT_TRUE(proc.has_value()) << (proc ? "" : proc.error().message);
  return std::move(*proc);
}

// The action a pool diagram decides for one input.
Action run(const DagPool& pool, DagPool::Ref r, const SeccompWords& in) {
  while (!DagPool::is_leaf(r)) {
    const DagPool::Node& n = pool.at(r);
    r = holds(n.atom, in[n.word]) ? n.if_true : n.if_false;
  }
  return pool.action(r);
}

TEST(DagPool, EqualNodesAreOneNode) {
  DagPool pool;
  const DagPool::Ref allow = pool.leaf(Action::Allow());
  const DagPool::Ref deny = pool.leaf(Action::Errno(1));
  EXPECT_EQ(pool.leaf(Action::Allow()), allow);
  EXPECT_NE(pool.leaf(Action::Errno(2)), deny);
  const DagPool::Ref n = pool.node(4, WordAtom::Eq(5), allow, deny);
  EXPECT_EQ(pool.node(4, WordAtom::Eq(5), allow, deny), n);
  EXPECT_NE(pool.node(4, WordAtom::Eq(6), allow, deny), n);
  EXPECT_EQ(pool.node(4, WordAtom::Eq(5), deny, deny), deny);  // both branches alike: no test
  EXPECT_EQ(pool.words(n), 1u << 4);
  EXPECT_EQ(pool.words(pool.node(0, WordAtom::Gt(1), n, deny)), (1u << 4) | 1u);
}

TEST(DagPool, RestrictionTakesTheDecidedBranches) {
  DagPool pool;
  const DagPool::Ref allow = pool.leaf(Action::Allow());
  const DagPool::Ref deny = pool.leaf(Action::Errno(1));
  const DagPool::Ref low = pool.node(5, WordAtom::Eq(9), allow, deny);
  const DagPool::Ref root = pool.node(4, WordAtom::Eq(5), low, deny);
  PathState state;
  ASSERT_EQ(state.add(4, WordAtom::Ge(6)), Sat::kSat);
  EXPECT_EQ(pool.restrict(root, 4, state), deny);
  EXPECT_EQ(pool.restrict(root, 5, state), root);  // nothing on word 5 decided
  state.undo_to(0);
  ASSERT_EQ(state.add(4, WordAtom::Eq(5)), Sat::kSat);
  EXPECT_EQ(pool.restrict(root, 4, state), low);
  // A clause decides the test it was added for, and its negation's.
  state.undo_to(0);
  const WordAtom clause = WordAtom::MaskedNe(0x30, 0x10);
  const DagPool::Ref masked = pool.node(6, clause, allow, deny);
  const DagPool::Ref negated = pool.node(6, negate(clause), allow, deny);
  ASSERT_EQ(state.add(6, clause), Sat::kSat);
  EXPECT_EQ(pool.restrict(masked, 6, state), allow);
  EXPECT_EQ(pool.restrict(negated, 6, state), deny);
  EXPECT_EQ(pool.restrict(masked, 6, state, &clause), allow);
  // Only that clause: another one on the same mask decides nothing.
  const DagPool::Ref other = pool.node(6, WordAtom::MaskedNe(0x30, 0x20), allow, deny);
  EXPECT_EQ(pool.restrict(other, 6, state), other);
}

// Random diagrams over words 4 and 5 with constants below 16 and masks
// within 0xf (test/verify/small_diagrams.h: the inputs 0..31 per word decide
// equality exactly).
using small_diagrams::build;
using small_diagrams::equal_everywhere;
using small_diagrams::NodeSpec;

using small_diagrams::random_atom;
using small_diagrams::random_spec;

// Proved exactly when equal: sound (no difference is proved away) and, on
// diagrams, complete (no equal pair is left to the slow walk).
TEST(DagPool, ProvesExactlyTheEqualPairs) {
  std::mt19937_64 rng(2024);
  const std::vector<Action> leaves = {Action::Allow(), Action::Errno(1), Action::Errno(2)};
  int equal = 0;
  int different = 0;
  for (int round = 0; round < 3000; ++round) {
    const std::vector<NodeSpec> spec = random_spec(rng, 1 + rng() % 12);
    std::vector<NodeSpec> other = spec;
    std::vector<Action> other_leaves = leaves;
    switch (rng() % 4) {
      case 0: other[rng() % other.size()].atom = random_atom(rng); break;
      case 1: other_leaves[rng() % 3] = Action::Errno(7); break;
      case 2: other = random_spec(rng, 1 + rng() % 12); break;
      default: {  // the same decisions, one test's branches written the other way round
        NodeSpec& s = other[rng() % other.size()];
        s.atom = negate(s.atom);
        std::swap(s.if_true, s.if_false);
        break;
      }
    }
    const DecisionDag a = build(spec, leaves);
    const DecisionDag b = build(other, other_leaves);
    const bool same = equal_everywhere(a, b);
    const DiagramProof proof = prove_by_diagrams(a, b, 1u << 20);
    ASSERT_EQ(proof.proved, same) << "round " << round;
    ASSERT_EQ(check_equivalent(a, b).verdict == EquivResult::Verdict::kEquivalent, same) << "round " << round;
    ++(same ? equal : different);
  }
  std::printf("equal pairs: %d, different: %d\n", equal, different);
  EXPECT_GT(equal, 500);
  EXPECT_GT(different, 500);
}

// The memo of proved states and the pool's residuals are caches: a walk
// that forgets states (a tiny memo) and frees residuals (collections at
// every few nodes) proves exactly the pairs an unbounded one proves.
TEST(DagPool, ForgetfulWalkProvesTheSamePairs) {
  std::mt19937_64 rng(77);
  const std::vector<Action> leaves = {Action::Allow(), Action::Errno(1), Action::Errno(2)};
  const DiagramMemory unbounded_memory{SIZE_MAX, SIZE_MAX};
  const std::vector<DiagramMemory> forgetful_memories = {{0, 0}, {8, 1}, {40, 4}, {SIZE_MAX, 0}, {16, SIZE_MAX}};
  int proved = 0;
  uint64_t restarts = 0;
  uint64_t collections = 0;
  for (int round = 0; round < 2000; ++round) {
    const std::vector<NodeSpec> spec = random_spec(rng, 1 + rng() % 12);
    std::vector<NodeSpec> other = spec;
    if (rng() % 2 == 0) other[rng() % other.size()].atom = random_atom(rng);
    const DecisionDag a = build(spec, leaves);
    const DecisionDag b = build(other, leaves);
    const DiagramProof unbounded = prove_by_diagrams(a, b, 1u << 20, unbounded_memory);
    EXPECT_EQ(unbounded.memo_restarts, 0u);
    EXPECT_EQ(unbounded.collections, 0u);
    for (size_t m = 0; m < forgetful_memories.size(); ++m) {
      const DiagramProof forgetful = prove_by_diagrams(a, b, 1u << 20, forgetful_memories[m]);
      ASSERT_EQ(forgetful.proved, unbounded.proved) << "round " << round << ", memory " << m;
      ASSERT_GE(forgetful.leaf_pairs, unbounded.leaf_pairs) << "round " << round << ", memory " << m;
      ASSERT_LE(forgetful.peak_nodes, unbounded.peak_nodes) << "round " << round << ", memory " << m;
      restarts += forgetful.memo_restarts;
      collections += forgetful.collections;
    }
    proved += unbounded.proved ? 1 : 0;
  }
  EXPECT_GT(proved, 500);
  EXPECT_GT(restarts, 1000u);
  EXPECT_GT(collections, 1000u);
}

// A restriction by an exclusion (w != k, or a clause) enters only the
// subtrees whose constants' filter has k: on residuals already restricted
// by the state before it, it builds the very node a restriction that
// enters every subtree builds.
TEST(DagPool, RestrictionByAnExclusionSkipsOnlyUndecidedSubtrees) {
  std::mt19937_64 rng(41);
  const std::vector<Action> leaves = {Action::Allow(), Action::Errno(1), Action::Errno(2)};
  int skipped = 0;
  for (int round = 0; round < 2000; ++round) {
    DagPool pool;
    const std::optional<uint32_t> root = build(random_spec(rng, 1 + rng() % 16), leaves).to_diagram(pool);
    ASSERT_TRUE(root.has_value());
    PathState state;
    // Restricted by the empty state first, as the walk starts (a test no
    // value passes goes).
    DagPool::Ref r = pool.restrict(pool.restrict(*root, 4, state), 5, state);
    for (int i = static_cast<int>(rng() % 3); i > 0; --i) {
      const unsigned w = 4 + static_cast<unsigned>(rng() % 2);
      const size_t mark = state.mark();
      if (state.add(w, random_atom(rng)) != Sat::kSat) {
        state.undo_to(mark);
        continue;
      }
      r = pool.restrict(r, w, state);
    }
    const unsigned w = 4 + static_cast<unsigned>(rng() % 2);
    const auto k = static_cast<uint32_t>(rng() % 16);
    const auto mask = static_cast<uint32_t>(1 + rng() % 15);
    const WordAtom exclusion = rng() % 2 ? WordAtom::Ne(k) : WordAtom::MaskedNe(mask, k & mask);
    if (state.add(w, exclusion) != Sat::kSat) continue;
    const DagPool::Ref everywhere = pool.restrict(r, w, state);
    const DagPool::Ref pruned = pool.restrict(r, w, state, &exclusion);
    ASSERT_EQ(pruned, everywhere) << "round " << round;
    if ((pool.constants(r) & DagPool::constant_bit(w, exclusion.k)) == 0) ++skipped;
  }
  EXPECT_GT(skipped, 100);
}

// A collection keeps what is marked (the same nodes, the same answers, the
// same identity for equal nodes) and node() reuses the freed slots.
TEST(DagPool, CollectionKeepsTheMarkedDiagrams) {
  std::mt19937_64 rng(5);
  const std::vector<Action> leaves = {Action::Allow(), Action::Errno(1), Action::Errno(2)};
  for (int round = 0; round < 300; ++round) {
    DagPool pool;
    std::vector<DagPool::Ref> roots;
    for (int d = 0; d < 6; ++d) {
      const std::optional<uint32_t> root = build(random_spec(rng, 1 + rng() % 12), leaves).to_diagram(pool);
      ASSERT_TRUE(root.has_value());
      roots.push_back(*root);
    }
    // Restrictions: more nodes, of which only some are kept.
    PathState state;
    ASSERT_EQ(state.add(4, random_atom(rng)), Sat::kSat);
    for (int d = 0; d < 6; ++d) roots.push_back(pool.restrict(roots[d], 4, state));
    std::vector<DagPool::Ref> kept;
    for (const DagPool::Ref r : roots)
      if (rng() % 2 == 0) kept.push_back(r);
    std::vector<DagPool::Node> kept_nodes;
    for (const DagPool::Ref r : kept)
      if (!DagPool::is_leaf(r)) kept_nodes.push_back(pool.at(r));
    std::vector<SeccompWords> inputs(50);
    for (SeccompWords& in : inputs)
      for (unsigned w = 4; w < 8; ++w) in[w] = static_cast<uint32_t>(rng() % 12);
    std::vector<Action> before;
    for (const DagPool::Ref r : kept)
      for (const SeccompWords& in : inputs) before.push_back(run(pool, r, in));
    const size_t slots = pool.slot_count();
    pool.begin_collect();
    for (const DagPool::Ref r : kept) pool.mark(r);
    pool.end_collect();
    ASSERT_LE(pool.node_count(), slots);
    size_t i = 0;
    for (const DagPool::Ref r : kept)
      for (const SeccompWords& in : inputs) ASSERT_EQ(run(pool, r, in), before[i++]) << "round " << round;
    size_t k = 0;
    for (const DagPool::Ref r : kept) {
      if (DagPool::is_leaf(r)) continue;
      const DagPool::Node& n = kept_nodes[k++];
      ASSERT_EQ(pool.node(n.word, n.atom, n.if_true, n.if_false), r);  // hash-consed as before
    }
    // New nodes fill the freed slots first.
    const size_t freed = slots - pool.node_count();
    DagPool::Ref next = pool.leaf(Action::Allow());
    for (size_t f = 0; f < freed; ++f)
      next = pool.node(7, WordAtom::Eq(1000 + static_cast<uint32_t>(f)), next, pool.leaf(Action::Errno(1)));
    ASSERT_EQ(pool.slot_count(), slots) << "round " << round;
  }
}

// A program as a diagram answers like the program wherever it is one.
TEST(DagPool, ProgramDiagramRunsLikeTheProgram) {
  bpf::testing::RandomProgramGenerator gen(31);
  bpf::testing::RandomProgramOptions options;
  options.constants = {0, 1, 2, 5, 59, 0x40000000, 0xc000003e, 0xffffffff, 0x80000000, 0x1000};
  std::mt19937_64 rng(8);
  int converted = 0;
  for (int i = 0; i < 400; ++i) {
    const BpfProcedure p = make(gen.valid(options));
    DagPool pool;
    const std::optional<uint32_t> root = p.to_diagram(pool);
    if (!root) continue;
    ++converted;
    for (int k = 0; k < 200; ++k) {
      SeccompWords in{};
      for (uint32_t& w : in) w = rng() % 3 == 0 ? static_cast<uint32_t>(rng()) : options.constants[rng() % 10];
      ASSERT_EQ(run(pool, *root, in), p.run(in)) << "program " << i;
    }
  }
  std::printf("programs that are diagrams: %d of 400\n", converted);
  EXPECT_GT(converted, 100);
}

// Twelve stages, each on its own argument word, whose continuing branches
// join: 2^12 paths, but the memoized walk proves the program equal to
// itself walking each stage once.
// Two paths to one pair of residuals that differ only in the values of
// word 4 they exclude: word 5 picks one of two chains of tests
// (w4 == e ? deny : ...), one excluding each of `first`, the other each of
// `second`, both ending in `tail` (a diagram built in `d`). Within
// `[lo, hi]` of word 4 (tests decided before the chains); deny outside it.
using Tail = std::function<DecisionDag::Ref(DecisionDag& d, DecisionDag::Ref allow, DecisionDag::Ref deny)>;
DecisionDag exclusion_paths(const std::vector<uint32_t>& first, const std::vector<uint32_t>& second, const Tail& tail,
                            uint32_t lo = 0, uint32_t hi = 0xffffffffU) {
  DecisionDag d;
  const DecisionDag::Ref allow = d.leaf(Action::Allow(), "allow");
  const DecisionDag::Ref deny = d.leaf(Action::Errno(1), "deny");
  const DecisionDag::Ref end = tail(d, allow, deny);
  auto chain = [&](const std::vector<uint32_t>& excluded) {
    DecisionDag::Ref r = end;
    for (const uint32_t e : excluded) r = d.test(4, WordAtom::Eq(e), deny, r);
    return r;
  };
  DecisionDag::Ref root = d.test(5, WordAtom::Eq(0), chain(first), chain(second));
  if (hi != 0xffffffffU) root = d.test(4, WordAtom::Le(hi), root, deny);
  if (lo != 0) root = d.test(4, WordAtom::Ge(lo), root, deny);
  d.set_root(root);
  return d;
}

// `b` differs from `a` (whose tail allows everything) where `b_tail` denies:
// only past the second chain, so the pair is different, and the walk meets
// the second path's residuals after proving the first path's.
void expect_different_past_the_second_chain(const std::vector<uint32_t>& first, const std::vector<uint32_t>& second,
                                            const Tail& b_tail, uint32_t lo, uint32_t hi, uint32_t differing) {
  const Tail allow_all = [](DecisionDag&, DecisionDag::Ref allow, DecisionDag::Ref) { return allow; };
  const DecisionDag a = exclusion_paths(first, second, allow_all, lo, hi);
  const DecisionDag b = exclusion_paths(first, second, b_tail, lo, hi);
  SeccompWords in{};
  in[4] = differing;
  in[5] = 1;
  ASSERT_NE(a.run(in), b.run(in));
  in[5] = 0;
  ASSERT_EQ(a.run(in), b.run(in));
  EXPECT_FALSE(prove_by_diagrams(a, b, 1u << 20).proved);
  EXPECT_FALSE(prove_by_diagrams(b, a, 1u << 20).proved);
  const EquivResult r = check_equivalent(a, b);
  ASSERT_EQ(r.verdict, EquivResult::Verdict::kDifferent);
  ASSERT_FALSE(r.mismatches.empty());
  EXPECT_EQ(r.mismatches[0].input[4], differing);
  EXPECT_NE(r.mismatches[0].input[5], 0u);
}

// The key of a walk state may leave out an excluded value no remaining test
// compares with only where the rest of the walk cannot tell it was
// excluded. Here the residuals' ordered tests leave a cell of one value,
// 5 (w > 4 and not w >= 6): excluding 5 (the first path) or 7 (the
// second) gives the same residuals, tested on 4 and 6 only, but only the
// second path's set meets the cell where the two differ.
TEST(DagPool, ExclusionInATinyRangeCellIsKept) {
  const Tail b_tail = [](DecisionDag& d, DecisionDag::Ref allow, DecisionDag::Ref deny) {
    return d.test(4, WordAtom::Gt(4), d.test(4, WordAtom::Ge(6), allow, deny), allow);
  };
  expect_different_past_the_second_chain({5}, {7}, b_tail, 0, 0xffffffffU, 5);
}

// Bounds narrower than the word: in 3..5 the first path excludes 3 and 4,
// leaving only 5 (the one value the residuals compare with), the second
// only 3, leaving 4 too, which is where they differ.
TEST(DagPool, ExclusionWithinNarrowBoundsIsKept) {
  const Tail b_tail = [](DecisionDag& d, DecisionDag::Ref allow, DecisionDag::Ref deny) {
    return d.test(4, WordAtom::Eq(5), allow, deny);
  };
  expect_different_past_the_second_chain({3, 4}, {3}, b_tail, 3, 5, 4);
}

// A masked test on every bit but one makes a cell of two values, 8 and 9:
// the first path excludes 8 and 9, the second 8 and 21, which leaves 9.
TEST(DagPool, ExclusionInATinyMaskedCellIsKept) {
  const Tail b_tail = [](DecisionDag& d, DecisionDag::Ref allow, DecisionDag::Ref deny) {
    return d.test(4, WordAtom::MaskedEq(0xfffffffeU, 8), deny, allow);
  };
  expect_different_past_the_second_chain({8, 9}, {8, 21}, b_tail, 0, 0xffffffffU, 9);
}

// Between the ordered tests' cuts (w > 7, w < 16) == tests name 8..14, so
// that 15 is a cell of its own: the first path excludes it, the second
// excludes 20 instead, and only the second path's set meets that cell.
TEST(DagPool, ExclusionBesideNamedValuesIsKept) {
  const Tail b_tail = [](DecisionDag& d, DecisionDag::Ref allow, DecisionDag::Ref deny) {
    DecisionDag::Ref named = deny;
    for (uint32_t v = 8; v <= 14; ++v) named = d.test(4, WordAtom::Eq(v), allow, named);
    return d.test(4, WordAtom::Gt(7), d.test(4, WordAtom::Lt(16), named, allow), allow);
  };
  expect_different_past_the_second_chain({15}, {20}, b_tail, 0, 0xffffffffU, 15);
}

// Where the residuals compare word 4 only by == with a few constants, the
// values no test names form one cell of almost every value, and which of
// them a path excluded does not matter: the pair is still proved.
TEST(DagPool, ExclusionsNoTestNamesLeaveEqualPairsProved) {
  const Tail a_tail = [](DecisionDag& d, DecisionDag::Ref allow, DecisionDag::Ref deny) {
    return d.test(4, WordAtom::Eq(9), allow, d.test(4, WordAtom::Eq(11), deny, allow));
  };
  const Tail b_tail = [](DecisionDag& d, DecisionDag::Ref allow, DecisionDag::Ref deny) {
    return d.test(4, WordAtom::Ne(11), allow, deny);
  };
  EXPECT_TRUE(prove_by_diagrams(exclusion_paths({5}, {7}, a_tail), exclusion_paths({5}, {7}, b_tail), 1u << 20).proved);
}

TEST(DagPool, JoinedStagesAreWalkedOnce) {
  using namespace bpf;
  Program p;
  for (uint32_t stage = 0; stage < 12; ++stage) {
    p.push_back(stmt(kLd | kW | kAbs, 16 + 4 * stage));
    p.push_back(jump(kJmp | kJeq | kK, 1, 2, 0));  // 1: on to the next stage
    p.push_back(jump(kJmp | kJeq | kK, 2, 0, 1));  // 2: ERRNO(stage)
    p.push_back(stmt(kRet | kRetK, kRetErrno | stage));
  }
  p.push_back(stmt(kRet | kRetK, kRetAllow));
  const BpfProcedure a = make(p);
  const EquivResult r = check_equivalent(a, a);
  EXPECT_EQ(r.verdict, EquivResult::Verdict::kEquivalent);
  EXPECT_TRUE(r.proved);
  EXPECT_LT(r.paths, 100u);  // of more than 2^12 joint paths
  // With a memo that keeps almost nothing, the walk still proves it.
  const DiagramProof forgetful = prove_by_diagrams(a, a, 1u << 20, DiagramMemory{16, 2});
  EXPECT_TRUE(forgetful.proved);
  EXPECT_GT(forgetful.memo_restarts, 0u);
  EXPECT_GT(forgetful.collections, 0u);
  EquivOptions plain;
  plain.diagrams = EquivOptions::Diagrams::kNever;
  const EquivResult walked = check_equivalent(a, a, plain);
  EXPECT_EQ(walked.verdict, EquivResult::Verdict::kEquivalent);
  EXPECT_GT(walked.paths, 4096u);
  EquivOptions first;
  first.diagrams = EquivOptions::Diagrams::kFirst;
  EXPECT_EQ(check_equivalent(a, a, first).paths, r.paths);
  // A change in the last stage, behind every join, is still found.
  Program changed = p;
  changed[changed.size() - 2].k = kRetErrno | 99;
  const EquivResult d = check_equivalent(a, make(changed));
  EXPECT_EQ(d.verdict, EquivResult::Verdict::kDifferent);
  ASSERT_FALSE(d.mismatches.empty());
  EXPECT_EQ(d.mismatches[0].input[15], 2u);  // the last stage's word
}

}  // namespace
}  // namespace sysfence::verify

namespace sysfence::verify {
namespace {

// A diagram deeper than the memoized walk may recurse is built (without
// recursion) but not walked: the satisfiability search proves it.
TEST(DagPool, TooDeepADiagramIsLeftToTheSearch) {
  DecisionDag d;
  const DecisionDag::Ref allow = d.leaf(Action::Allow(), "allow");
  DecisionDag::Ref next = d.leaf(Action::Errno(1), "default");
  for (uint32_t i = 0; i < kMaxDiagramDepth + 10; ++i) next = d.test(4, WordAtom::Eq(i), allow, next);
  d.set_root(next);
  DagPool pool;
  const std::optional<uint32_t> root = d.to_diagram(pool);
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(pool.depth(*root), kMaxDiagramDepth + 10);
  const DiagramProof walk = prove_by_diagrams(pool, *root, *root, 1000);
  EXPECT_TRUE(walk.too_deep);
  EXPECT_FALSE(walk.proved);
  EXPECT_EQ(walk.leaf_pairs, 0u);
  EquivOptions first;
  first.diagrams = EquivOptions::Diagrams::kFirst;
  const EquivResult r = check_equivalent(d, d, first);
  EXPECT_EQ(r.verdict, EquivResult::Verdict::kEquivalent);
  EXPECT_TRUE(r.proved);
  EXPECT_EQ(r.paths, 0u);  // the search's proof: no joint path walked
}

}  // namespace
}  // namespace sysfence::verify

namespace sysfence::verify {
namespace {

// Pools larger than one chunk of nodes and than the first index: every
// node keeps its fields and its identity, and a restriction reaching over
// the chunks answers like the diagram it restricts.
TEST(DagPool, ManyNodesKeepTheirFieldsAndIdentity) {
  DagPool pool;
  const DagPool::Ref allow = pool.leaf(Action::Allow());
  const DagPool::Ref deny = pool.leaf(Action::Errno(1));
  constexpr uint32_t kNodes = 10000;
  std::vector<DagPool::Ref> chain;
  DagPool::Ref next = deny;
  for (uint32_t i = 0; i < kNodes; ++i) {
    const WordAtom atom = i % 3 == 0 ? WordAtom::MaskedEq(0xff, i & 0xff) : WordAtom::Eq(i);
    next = pool.node(4 + i % 4, atom, allow, next);
    chain.push_back(next);
  }
  EXPECT_EQ(pool.node_count(), kNodes);
  for (uint32_t i = 0; i < kNodes; ++i) {
    const DagPool::Node n = pool.at(chain[i]);
    const WordAtom atom = i % 3 == 0 ? WordAtom::MaskedEq(0xff, i & 0xff) : WordAtom::Eq(i);
    ASSERT_EQ(n.word, 4 + i % 4);
    ASSERT_EQ(n.atom, atom);
    ASSERT_EQ(n.if_true, allow);
    ASSERT_EQ(n.if_false, i == 0 ? deny : chain[i - 1]);
    ASSERT_EQ(pool.node(n.word, n.atom, n.if_true, n.if_false), chain[i]);
  }
  EXPECT_EQ(pool.node_count(), kNodes);
  PathState state;
  ASSERT_EQ(state.add(4, WordAtom::Gt(5000)), Sat::kSat);
  const DagPool::Ref restricted = pool.restrict(chain.back(), 4, state);
  EXPECT_GT(pool.node_count(), kNodes);
  std::mt19937_64 rng(3);
  for (int k = 0; k < 2000; ++k) {
    SeccompWords in{};
    for (unsigned w = 4; w < 8; ++w) in[w] = static_cast<uint32_t>(rng() % (2 * kNodes));
    if (in[4] <= 5000) continue;  // outside the state: the restriction need not agree
    ASSERT_EQ(run(pool, restricted, in), run(pool, chain.back(), in)) << "input " << k;
  }
}

}  // namespace
}  // namespace sysfence::verify
